namespace Derain.Pipelines.Inference;

/// <summary>
/// Which frames make up the five-frame window t−2 … t+2 around frame t of a clip of <c>count</c> frames.
/// </summary>
/// <remarks>
/// The official test code only restores frames 3 … N−2 (test_main.py loops over img_index 2 … N−3), dropping two
/// frames at each end. Derain restores every frame: a neighbour that falls outside the clip is replaced by its mirror
/// image about the centre frame (t−1 → t+1, t−2 → t+2 at the start; t+1 → t−1, t+2 → t−2 at the end), so the
/// window stays symmetric in time and holds real, distinct frames — what the network saw in training, where every
/// neighbour is a genuine frame of the same scene. Only when the mirrored frame is missing as well (clips of three
/// frames or fewer) is the index clamped to the clip, i.e. the nearest end frame is repeated; a one-frame clip
/// becomes five copies of that frame.
/// </remarks>
public static class TemporalWindow
{
    /// <summary>Frames per window.</summary>
    public const int Size = 5;

    /// <summary>Frames on each side of the centre.</summary>
    public const int Radius = Size / 2;

    /// <summary>
    /// The frame used at <paramref name="offset"/> (−2 … 2) from frame <paramref name="t"/>. <paramref name="count"/>
    /// may be <see cref="int.MaxValue"/> while the end of a stream is not yet known.
    /// </summary>
    public static int Source(int t, int offset, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a clip has at least one frame");
        if ((uint)t >= (uint)count) throw new ArgumentOutOfRangeException(nameof(t), t, $"frame {t} of a {count}-frame clip");
        if (Math.Abs(offset) > Radius) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offsets run from −{Radius} to {Radius}");
        int index = t + offset;
        if (index >= 0 && index < count) return index;
        int mirrored = t - offset;
        if (mirrored >= 0 && mirrored < count) return mirrored;
        return Math.Clamp(index, 0, count - 1);
    }

    /// <summary>The five source frames of frame <paramref name="t"/>, in the network's order t−2, t−1, t, t+1, t+2.</summary>
    public static int[] Sources(int t, int count)
    {
        var sources = new int[Size];
        for (int k = 0; k < Size; k++) sources[k] = Source(t, k - Radius, count);
        return sources;
    }
}
