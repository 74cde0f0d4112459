using Derain.Data.Imaging;
using Derain.Tensors.Serialization;

namespace Derain.Pipelines.Inference;

/// <summary>
/// A restored frame: the network's float luma (cropped to the frame, never clamped) with the centre frame's chroma,
/// and the conversions to the output formats.
/// </summary>
public sealed class RestoredFrame : IRestoredFrame
{
    public RestoredFrame(LumaFrame centre, float[] luma)
    {
        ArgumentNullException.ThrowIfNull(centre);
        ArgumentNullException.ThrowIfNull(luma);
        if (luma.Length != centre.Width * centre.Height)
            throw new ArgumentException($"{luma.Length} luma samples for a {centre.Width}×{centre.Height} frame.", nameof(luma));
        Name = centre.Name;
        Width = centre.Width;
        Height = centre.Height;
        Luma = luma;
        Cb = centre.Cb;
        Cr = centre.Cr;
    }

    public string Name { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The network's output Y on the [0, 1] scale, row-major, as computed (float32).</summary>
    public float[] Luma { get; }

    /// <summary>The centre frame's Pillow Cb, which the official code merges back unchanged.</summary>
    public byte[] Cb { get; }

    /// <summary>The centre frame's Pillow Cr.</summary>
    public byte[] Cr { get; }

    /// <summary>
    /// 8-bit luma as test_main.py makes it: float32 ×255, round half to even (np.round), clip to 0…255, uint8.
    /// </summary>
    public byte[] LumaBytes()
    {
        var y = new byte[Luma.Length];
        for (int i = 0; i < y.Length; i++) y[i] = Image.ToByte(Luma[i]);
        return y;
    }

    /// <summary>Interleaved 8-bit RGB: the 8-bit luma merged with the chroma through Pillow's inverse tables.</summary>
    public byte[] ToRgbBytes()
    {
        var rgb = new byte[3 * Luma.Length];
        YCbCr.ToRgb(LumaBytes(), Cb, Cr, rgb);
        return rgb;
    }

    /// <summary>The 8-bit result as an image (the official output, before its JPEG encoding).</summary>
    public Image ToImage() => Image.FromBytes(ToRgbBytes(), 3, Height, Width);

    /// <summary>
    /// RGB on the [0, 1] scale from the float luma and the chroma through the exact JFIF inverse, without rounding or
    /// clamping, as [3, H, W] planes (see <see cref="YCbCr.ToRgbFloat(ReadOnlySpan{float}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{float})"/>).
    /// </summary>
    public float[] ToRgbFloatPlanes()
    {
        var planes = new float[3 * Luma.Length];
        YCbCr.ToRgbFloat(Luma, Cb, Cr, planes);
        return planes;
    }

    /// <summary>The float RGB as an image (its samples may leave [0, 1]; writing a file clamps them).</summary>
    public Image ToFloatImage() => new(3, Height, Width, ToRgbFloatPlanes());

    /// <summary>&lt;stem&gt;.npy: float32 [H, W, 3] RGB on the [0, 1] scale from the float inverse; &lt;stem&gt;_y.npy: the network's luma [H, W].</summary>
    public void WriteNpy(string stem)
    {
        Npy.Write(stem + ".npy", Interleave(ToRgbFloatPlanes(), Width * Height), Height, Width, 3);
        Npy.Write(stem + "_y.npy", Luma, Height, Width);
    }

    /// <summary>[3, H, W] planes → [H, W, 3] (NumPy's HWC image layout).</summary>
    internal static float[] Interleave(float[] planes, int n)
    {
        var hwc = new float[planes.Length];
        for (int i = 0; i < n; i++)
        {
            hwc[3 * i] = planes[i];
            hwc[3 * i + 1] = planes[n + i];
            hwc[3 * i + 2] = planes[2 * n + i];
        }
        return hwc;
    }
}
