using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Every tensor of every sample of another dataset resized to <see cref="Height"/>×<see cref="Width"/> by bilinear
/// interpolation with half-pixel centres and no antialiasing — what OpenCV's <c>cv2.resize</c> (INTER_LINEAR) and
/// torch's <c>interpolate(mode="bilinear", align_corners=False)</c> compute. MGID's Train.py resizes each training image
/// this way to 256×256 whatever its size or aspect; unlike OpenCV on 8-bit images, the result is not rounded to 8 bits.
/// </summary>
public sealed class ResizedDataset(IDataset inner, int height, int width) : IDataset
{
    private readonly IDataset _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    public int Height { get; } = height > 0 ? height : throw new ArgumentOutOfRangeException(nameof(height), height, "must be positive");

    public int Width { get; } = width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "must be positive");

    public int Count => _inner.Count;

    public Sample Get(int index, Generator rng)
    {
        using var sample = _inner.Get(index, rng);
        var result = new Sample(sample.Name);
        try
        {
            foreach (var key in sample.Keys) result.Set(key, Resize(sample[key]));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>[…, H, W] → […, Height, Width] (any leading dimensions).</summary>
    private Tensor Resize(Tensor t)
    {
        var dims = t.Shape.ToArray();
        int h = dims[^2], w = dims[^1];
        if (h == Height && w == Width) return Ops.Clone(t);
        int planes = t.NumElements / (h * w);
        using var planar = Ops.Reshape(t, 1, planes, h, w);
        using var resized = Ops.Interpolate(planar, Height, Width, InterpolateMode.Bilinear, alignCorners: false);
        dims[^2] = Height;
        dims[^1] = Width;
        return Ops.Clone(Ops.Reshape(resized, dims));
    }
}
