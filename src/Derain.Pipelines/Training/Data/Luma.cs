using Derain.Tensors;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// RGB → luma for training on the [0, 1] scale with the JFIF (full-range BT.601) weights,
/// Y = 0.299 R + 0.587 G + 0.114 B, in float64 rounded once to float32. EEVRSR works on luma only; the official
/// pipeline gets its Y from PIL's <c>convert("YCbCr")</c>, whose integer tables compute exactly this formula and
/// round it to 8 bits ((19595 R + 38470 G + 7471 B + 2¹⁵) ≫ 16; 19595/2¹⁶ = 0.29900 …), then divide by 255. Training
/// keeps the unrounded value: the network then never learns the ±0.5/255 rounding noise as signal, and
/// <c>derain run</c> still feeds it PIL's rounded Y for exact parity with the official outputs.
/// </summary>
public static class Luma
{
    public const double R = 0.299, G = 0.587, B = 0.114;

    /// <summary>[…, 3, H, W] RGB → […, H, W] luma (the channel dimension is removed).</summary>
    public static Tensor FromRgb(Tensor rgb)
    {
        var shape = rgb.Shape;
        if (shape.Rank < 3 || shape[-3] != 3)
            throw new ArgumentException($"Luma needs RGB tensors […, 3, H, W]; got {shape}.", nameof(rgb));
        int plane = shape[-2] * shape[-1];
        int images = shape.NumElements / (3 * plane);
        var dims = shape.ToArray().Where((_, i) => i != shape.Rank - 3).ToArray();
        var src = rgb.Span<float>();
        var y = new float[images * plane];
        for (int n = 0; n < images; n++)
        {
            var r = src.Slice(3 * n * plane, plane);
            var g = src.Slice((3 * n + 1) * plane, plane);
            var b = src.Slice((3 * n + 2) * plane, plane);
            var dst = y.AsSpan(n * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = (float)(R * r[i] + G * g[i] + B * b[i]);
        }
        return Tensor.Wrap(y, dims);
    }

    /// <summary>
    /// The network's input and target from a batch of clips: rainy [N, T, 3, H, W] → [N, T, H, W], and the clean
    /// centre frame → [N, 1, H, W], from clean clips [N, T, 3, H, W] or clean centre frames alone [N, 1, 3, H, W].
    /// </summary>
    public static (Tensor Frames, Tensor Target) Pair(Tensor rainy, Tensor clean)
    {
        var s = rainy.Shape;
        if (rainy.Rank != 5 || clean.Rank != 5 || clean.Size(0) != s[0] || clean.Size(2) != 3 || clean.Size(3) != s[3] || clean.Size(4) != s[4]
            || (clean.Size(1) != s[1] && clean.Size(1) != 1))
            throw new ArgumentException($"Expected rainy clips [N, T, 3, H, W] and clean clips of that shape or centre frames [N, 1, 3, H, W]; got {rainy.Shape} and {clean.Shape}.");
        var frames = FromRgb(rainy);
        if (clean.Size(1) == 1) return (frames, FromRgb(clean));
        using var centre = Ops.Narrow(clean, 1, s[1] / 2, 1);
        return (frames, FromRgb(centre));
    }
}
