using Derain.Data.Imaging;
using Derain.Tensors.Serialization;

namespace Derain.Pipelines.Inference;

/// <summary>
/// A frame restored by a single-image RGB network (MGID): the derained image and the removed streak layer as float
/// RGB planes [3, H, W] on the [0, 1] scale, unclamped. For MGID, derained = (x − s + 1)/2 and streak = s/2 from the
/// network's [−1, 1] outputs (BGR reordered to RGB), so input = derained + streak on the [0, 1] scale.
/// </summary>
public sealed class RgbRestoredFrame : IRestoredFrame
{
    public RgbRestoredFrame(string name, int width, int height, float[] derained, float[] streak)
    {
        ArgumentNullException.ThrowIfNull(derained);
        ArgumentNullException.ThrowIfNull(streak);
        if (derained.Length != 3 * width * height || streak.Length != derained.Length)
            throw new ArgumentException($"{derained.Length} and {streak.Length} samples for a {width}×{height} RGB frame.");
        (Name, Width, Height, Derained, Streak) = (name, width, height, derained, streak);
    }

    public string Name { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Derained RGB planes [3, H, W], [0, 1] scale, unclamped.</summary>
    public float[] Derained { get; }

    /// <summary>Streak RGB planes [3, H, W] on the same scale (input − derained).</summary>
    public float[] Streak { get; }

    /// <summary>
    /// 8-bit RGB as the official Evaluate_derain.py makes it: (d + 1) / 2 · 255 in float32, round half to even, clip
    /// (<see cref="Image.ToByte"/> computes exactly that from the [0, 1] value).
    /// </summary>
    public Image ToImage()
    {
        var rgb = new byte[Derained.Length];
        int n = Width * Height;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                rgb[3 * i + c] = Image.ToByte(Derained[c * n + i]);
        return Image.FromBytes(rgb, 3, Height, Width);
    }

    /// <inheritdoc/>
    public Image ToFloatImage() => new(3, Height, Width, (float[])Derained.Clone());

    /// <summary>&lt;stem&gt;.npy: derained, &lt;stem&gt;_streak.npy: streak, both float32 [H, W, 3] RGB on the [0, 1] scale, unclamped.</summary>
    public void WriteNpy(string stem)
    {
        int n = Width * Height;
        Npy.Write(stem + ".npy", RestoredFrame.Interleave(Derained, n), Height, Width, 3);
        Npy.Write(stem + "_streak.npy", RestoredFrame.Interleave(Streak, n), Height, Width, 3);
    }
}
