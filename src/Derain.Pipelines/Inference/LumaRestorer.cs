using Derain.Models.Eevrsr;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Runs a five-frame luma network on one window at a time: frames [1, 5, H, W] in, centre luma [1, 1, H, W] out.
/// Frames whose size is not a multiple of <see cref="SizeMultiple"/> are padded at the bottom and right by repeating
/// the last row and column, and the output is cropped back, so no pixel is lost (the official code instead cuts the
/// frame down to a multiple of four). Each window runs without autograd in its own <see cref="TensorScope"/>, so
/// memory is the same for the thousandth frame as for the first.
/// </summary>
public sealed class LumaRestorer : IFrameRestorer
{
    private readonly Func<Tensor, Tensor> _network;

    /// <param name="network">Maps frames [1, 5, H, W] (t−2 … t+2, [0, 1] luma) to the restored centre [1, 1, H, W].</param>
    /// <param name="sizeMultiple">H and W the network accepts must be multiples of this.</param>
    public LumaRestorer(Func<Tensor, Tensor> network, int sizeMultiple)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeMultiple, 1);
        _network = network;
        SizeMultiple = sizeMultiple;
    }

    /// <summary>A restorer running <paramref name="net"/> (evaluation mode: BatchNorm uses its moving statistics).</summary>
    public static LumaRestorer ForEevrsr(EevrsrNet net)
    {
        ArgumentNullException.ThrowIfNull(net);
        net.Eval();
        return new LumaRestorer(net.Forward, EevrsrNet.SizeMultiple);
    }

    public int SizeMultiple { get; }

    /// <inheritdoc/>
    public string ModelName => "EEVRSR";

    /// <summary>Always true: each output frame is computed from the five frames around it.</summary>
    public bool NeedsNeighbours => true;

    /// <summary>Every frame converted to Pillow luma, windowed by <see cref="FrameWindows"/> and restored.</summary>
    public IEnumerable<IRestoredFrame> RestoreAll(IEnumerable<NamedImage> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        foreach (var window in FrameWindows.Stream(frames.Select(f => LumaFrame.FromImage(f.Image, f.Name)))) yield return Restore(window);
    }

    /// <summary>The padded size the network sees for a <paramref name="width"/>×<paramref name="height"/> frame.</summary>
    public (int Width, int Height) PaddedSize(int width, int height)
        => (RoundUp(width, SizeMultiple), RoundUp(height, SizeMultiple));

    /// <summary>Restores the centre frame of <paramref name="window"/>.</summary>
    public RestoredFrame Restore(FrameWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var centre = window.Centre;
        int w = centre.Width, h = centre.Height;
        var (pw, ph) = PaddedSize(w, h);
        var input = new float[TemporalWindow.Size * pw * ph];
        for (int k = 0; k < TemporalWindow.Size; k++)
            PadReplicate(window.Frames[k].Luma, w, h, input.AsSpan(k * pw * ph, pw * ph), pw, ph);

        var luma = new float[w * h];
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
        {
            var frames = Tensor.Wrap(input, 1, TemporalWindow.Size, ph, pw);
            var output = _network(frames);
            if (output.Rank != 4 || output.Size(0) != 1 || output.Size(1) != 1 || output.Size(2) != ph || output.Size(3) != pw)
                throw new InvalidOperationException($"The network returned {output.Shape} for input {frames.Shape}; expected [1, 1, {ph}, {pw}].");
            var result = output.Span<float>();
            for (int y = 0; y < h; y++) result.Slice(y * pw, w).CopyTo(luma.AsSpan(y * w, w));
        }
        return new RestoredFrame(centre, luma);
    }

    /// <summary>Copies a w×h plane into a pw×ph one, repeating the last column and row into the margin.</summary>
    internal static void PadReplicate(ReadOnlySpan<float> source, int w, int h, Span<float> target, int pw, int ph)
    {
        for (int y = 0; y < ph; y++)
        {
            var from = source.Slice(Math.Min(y, h - 1) * w, w);
            var to = target.Slice(y * pw, pw);
            from.CopyTo(to);
            to[w..].Fill(from[w - 1]);
        }
    }

    private static int RoundUp(int size, int multiple) => (size + multiple - 1) / multiple * multiple;
}
