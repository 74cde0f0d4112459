using Derain.Data.Imaging;

namespace Derain.Pipelines.Inference;

/// <summary>
/// One decoded frame as EEVRSR's official test code prepares it (test_main.py, read_data): the 8-bit RGB frame
/// converted with Pillow's integer YCbCr tables, luma divided by 255 in float64 and then stored as float32 (the
/// network's input), chroma kept as bytes for the merge after de-raining.
/// </summary>
public sealed class LumaFrame
{
    // Y/255 as numpy computes it (float64 division), then the float32 cast of the TF placeholder.
    private static readonly float[] LumaOfByte = Enumerable.Range(0, 256).Select(k => (float)(k / 255.0)).ToArray();

    private LumaFrame(string name, int width, int height, float[] luma, byte[] cb, byte[] cr)
    {
        Name = name;
        Width = width;
        Height = height;
        Luma = luma;
        Cb = cb;
        Cr = cr;
    }

    /// <summary>The frame's name: its file stem in a frame folder, its 1-based number for a video file.</summary>
    public string Name { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Pillow's Y / 255, row-major (float32, computed in float64).</summary>
    public float[] Luma { get; }

    /// <summary>Pillow's Cb, row-major.</summary>
    public byte[] Cb { get; }

    /// <summary>Pillow's Cr, row-major.</summary>
    public byte[] Cr { get; }

    /// <summary>
    /// Converts an RGB (or gray) frame. Samples are taken as 8-bit codes: exact for 8-bit sources (a decoded JPEG,
    /// PNG or rgb24 video frame holds k/255); deeper sources are rounded to 8 bits first, as the official pipeline
    /// only ever saw 8-bit frames.
    /// </summary>
    public static LumaFrame FromImage(Image frame, string name)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var rgb = frame.Channels == 3 ? frame : frame.ToRgb();
        int n = rgb.PlaneSize;
        var interleaved = rgb.ToBytes();
        var y = new byte[n];
        var cb = new byte[n];
        var cr = new byte[n];
        YCbCr.FromRgb(interleaved, y, cb, cr);
        var luma = new float[n];
        for (int i = 0; i < n; i++) luma[i] = LumaOfByte[y[i]];
        return new LumaFrame(name, rgb.Width, rgb.Height, luma, cb, cr);
    }
}
