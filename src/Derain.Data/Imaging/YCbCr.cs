namespace Derain.Data.Imaging;

/// <summary>
/// Full-range JFIF YCbCr exactly as Pillow computes it: <c>Image.convert("YCbCr")</c> and
/// <c>Image.merge("YCbCr", …).convert("RGB")</c> on 8-bit images (libImaging/ConvertYCbCr.c), plus the float
/// inverse used where no 8-bit rounding should happen.
/// </summary>
/// <remarks>
/// Pillow does not evaluate the JFIF equations in floating point: each product coefficient·sample is looked up in a
/// 256-entry table of integers scaled by 2⁶, the three lookups are summed and shifted right by 6 (an arithmetic shift,
/// so negative sums round towards −∞), and the inverse clamps to 0…255. Each table entry is the scaled product
/// rounded as C's <c>(int)(x + 0.5)</c> does — truncation towards zero after adding one half, which for negative
/// products is not round-to-nearest. The tables are rebuilt here from that rule and the coefficients in Pillow's
/// header comment (0.299/0.587/0.114, −0.16874/−0.33126/0.5, 0.5/−0.41869/−0.08131 forward; 1.402, −0.34414,
/// −0.71414, 1.772 inverse); tools/golden/ycbcr.py checks the rule against Pillow on all 256³ inputs in both
/// directions. EEVRSR's official test code (test_main.py) runs exactly these two conversions around the network, so
/// its outputs can only be matched byte for byte with them.
/// </remarks>
public static class YCbCr
{
    /// <summary>Fraction bits of the lookup tables (Pillow's SCALE).</summary>
    private const int Scale = 6;

    // Forward tables, indexed by the 8-bit R, G or B sample.
    private static readonly int[] YR = Table(0.29900, 0), YG = Table(0.58700, 0), YB = Table(0.11400, 0);
    private static readonly int[] CbR = Table(-0.16874, 0), CbG = Table(-0.33126, 0), CbB = Table(0.50000, 0);
    private static readonly int[] CrR = Table(0.50000, 0), CrG = Table(-0.41869, 0), CrB = Table(-0.08131, 0);

    // Inverse tables, indexed by the 8-bit Cb or Cr sample (the product is taken with sample − 128).
    private static readonly int[] RCr = Table(1.40200, 128), GCb = Table(-0.34414, 128), GCr = Table(-0.71414, 128), BCb = Table(1.77200, 128);

    /// <summary>Inverse coefficients of the float path (the same JFIF values Pillow's tables are built from).</summary>
    public const double CrToR = 1.40200, CbToG = -0.34414, CrToG = -0.71414, CbToB = 1.77200;

    /// <summary>One RGB pixel to Y, Cb, Cr, as Pillow's <c>convert("YCbCr")</c>.</summary>
    public static (byte Y, byte Cb, byte Cr) FromRgb(byte r, byte g, byte b)
    {
        int y = (YR[r] + YG[g] + YB[b]) >> Scale;
        int cb = ((CbR[r] + CbG[g] + CbB[b]) >> Scale) + 128;
        int cr = ((CrR[r] + CrG[g] + CrB[b]) >> Scale) + 128;
        // Every sum stays within 0…255 after the offset (checked on all inputs by the tests); the casts are Pillow's.
        return ((byte)y, (byte)cb, (byte)cr);
    }

    /// <summary>One Y, Cb, Cr pixel to RGB, as Pillow's <c>Image.merge("YCbCr", …).convert("RGB")</c>.</summary>
    public static (byte R, byte G, byte B) ToRgb(byte y, byte cb, byte cr)
    {
        int r = y + (RCr[cr] >> Scale);
        int g = y + ((GCb[cb] + GCr[cr]) >> Scale);
        int b = y + (BCb[cb] >> Scale);
        return (Clamp(r), Clamp(g), Clamp(b));
    }

    /// <summary>Interleaved 8-bit RGB (3 bytes a pixel) to three planes.</summary>
    public static void FromRgb(ReadOnlySpan<byte> rgb, Span<byte> y, Span<byte> cb, Span<byte> cr)
    {
        int n = y.Length;
        if (rgb.Length != 3 * n || cb.Length != n || cr.Length != n)
            throw new ArgumentException($"{rgb.Length} RGB bytes do not match planes of {y.Length}, {cb.Length} and {cr.Length} samples.");
        for (int i = 0, j = 0; i < n; i++, j += 3) (y[i], cb[i], cr[i]) = FromRgb(rgb[j], rgb[j + 1], rgb[j + 2]);
    }

    /// <summary>Three planes to interleaved 8-bit RGB.</summary>
    public static void ToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> rgb)
    {
        int n = y.Length;
        if (rgb.Length != 3 * n || cb.Length != n || cr.Length != n)
            throw new ArgumentException($"{rgb.Length} RGB bytes do not match planes of {y.Length}, {cb.Length} and {cr.Length} samples.");
        for (int i = 0, j = 0; i < n; i++, j += 3) (rgb[j], rgb[j + 1], rgb[j + 2]) = ToRgb(y[i], cb[i], cr[i]);
    }

    /// <summary>
    /// The exact JFIF inverse on the [0, 1] scale, in double: R = Y + 1.402·(Cr − ½₈), G = Y − 0.34414·(Cb − ½₈)
    /// − 0.71414·(Cr − ½₈), B = Y + 1.772·(Cb − ½₈), where ½₈ = 128/255 is the chroma offset on that scale. Nothing
    /// is rounded or clamped, so a network's float luma keeps its full precision (Pillow's byte path would floor
    /// each term to 8 bits). Agrees with <see cref="ToRgb(byte, byte, byte)"/> to within one code value on 8-bit inputs.
    /// </summary>
    public static (double R, double G, double B) ToRgbFloat(double y, double cb, double cr)
    {
        const double offset = 128.0 / 255.0;
        double u = cb - offset, v = cr - offset;
        return (y + CrToR * v, y + CbToG * u + CrToG * v, y + CbToB * u);
    }

    /// <summary>
    /// Float luma (the [0, 1] scale) with 8-bit chroma planes to RGB on the [0, 1] scale, written as three planes
    /// ([C,H,W], the layout of <see cref="Image.Data"/>) and computed in double, stored as float32.
    /// </summary>
    public static void ToRgbFloat(ReadOnlySpan<float> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<float> rgbPlanes)
    {
        int n = y.Length;
        if (rgbPlanes.Length != 3 * n || cb.Length != n || cr.Length != n)
            throw new ArgumentException($"{rgbPlanes.Length} RGB samples do not match planes of {y.Length}, {cb.Length} and {cr.Length} samples.");
        for (int i = 0; i < n; i++)
        {
            var (r, g, b) = ToRgbFloat(y[i], cb[i] / 255.0, cr[i] / 255.0);
            rgbPlanes[i] = (float)r;
            rgbPlanes[n + i] = (float)g;
            rgbPlanes[2 * n + i] = (float)b;
        }
    }

    /// <summary>
    /// Pillow's table for one coefficient: entry k holds (int)(coefficient·2⁶·(k − offset) + 0.5), C's conversion
    /// truncating towards zero.
    /// </summary>
    private static int[] Table(double coefficient, int offset)
    {
        var table = new int[256];
        for (int k = 0; k < 256; k++) table[k] = (int)Math.Truncate(coefficient * (1 << Scale) * (k - offset) + 0.5);
        return table;
    }

    private static byte Clamp(int v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
}
