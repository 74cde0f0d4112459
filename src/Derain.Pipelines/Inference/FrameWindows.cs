namespace Derain.Pipelines.Inference;

/// <summary>Frame <see cref="Index"/> of a clip with its five-frame window (order t−2 … t+2, see <see cref="TemporalWindow"/>).</summary>
public sealed record FrameWindow(int Index, IReadOnlyList<LumaFrame> Frames, IReadOnlyList<int> Sources)
{
    /// <summary>The frame being restored.</summary>
    public LumaFrame Centre => Frames[TemporalWindow.Radius];
}

/// <summary>
/// Turns a stream of frames into windows while holding at most five decoded frames: a ring buffer indexed by frame
/// number modulo five. Frame t needs t−2 … t+2; mirroring and clamping only ever choose frames inside that span, so
/// when frame t+3 arrives, the slot of t−2 can be reused. The clip length need not be known in advance (a video's
/// stated frame count can be wrong): frame t is emitted once t+2 has been read or the stream has ended.
/// </summary>
public static class FrameWindows
{
    /// <summary>The windows of every frame of <paramref name="frames"/>, in order.</summary>
    public static IEnumerable<FrameWindow> Stream(IEnumerable<LumaFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var ring = new LumaFrame[TemporalWindow.Size];
        using var source = frames.GetEnumerator();
        int read = 0; // frames taken from the source so far
        bool ended = false;
        int width = 0, height = 0;
        for (int t = 0; ; t++)
        {
            while (!ended && read <= t + TemporalWindow.Radius)
            {
                if (source.MoveNext())
                {
                    var frame = source.Current ?? throw new InvalidOperationException($"frame {read} is null");
                    if (read == 0) (width, height) = (frame.Width, frame.Height);
                    else if (frame.Width != width || frame.Height != height)
                        throw new InvalidDataException($"frame {frame.Name} is {frame.Width}×{frame.Height}, but the clip's first frame is {width}×{height}");
                    ring[read % TemporalWindow.Size] = frame;
                    read++;
                }
                else
                {
                    ended = true;
                }
            }
            if (t >= read) yield break;
            int count = ended ? read : int.MaxValue;
            var sources = TemporalWindow.Sources(t, count);
            var window = new LumaFrame[TemporalWindow.Size];
            for (int k = 0; k < window.Length; k++) window[k] = ring[sources[k] % TemporalWindow.Size];
            yield return new FrameWindow(t, window, sources);
        }
    }
}
