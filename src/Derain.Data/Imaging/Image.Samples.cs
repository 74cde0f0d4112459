namespace Derain.Data.Imaging;

public sealed partial class Image
{
    // k/255 for every byte, computed once so decoding is a table lookup and matches torchvision's img.div(255).
    private static readonly float[] ByteToFloat = Enumerable.Range(0, 256).Select(k => k / 255f).ToArray();

    /// <summary>An image from interleaved 8-bit samples (row-major, <paramref name="channels"/> per pixel); sample k becomes k/255.</summary>
    public static Image FromBytes(ReadOnlySpan<byte> interleaved, int channels, int height, int width)
    {
        var image = new Image(channels, height, width);
        int n = image.PlaneSize;
        if (interleaved.Length != (long)n * channels)
            throw new ArgumentException($"{interleaved.Length} bytes do not fill a {width}×{height}×{channels} image.", nameof(interleaved));
        var table = ByteToFloat;
        for (int c = 0; c < channels; c++)
        {
            var plane = image.Plane(c);
            for (int i = 0, j = c; i < n; i++, j += channels) plane[i] = table[interleaved[j]];
        }
        return image;
    }

    /// <summary>An image from interleaved 16-bit samples; sample k becomes k/65535.</summary>
    public static Image FromUInt16(ReadOnlySpan<ushort> interleaved, int channels, int height, int width)
    {
        var image = new Image(channels, height, width);
        int n = image.PlaneSize;
        if (interleaved.Length != (long)n * channels)
            throw new ArgumentException($"{interleaved.Length} samples do not fill a {width}×{height}×{channels} image.", nameof(interleaved));
        for (int c = 0; c < channels; c++)
        {
            var plane = image.Plane(c);
            for (int i = 0, j = c; i < n; i++, j += channels) plane[i] = interleaved[j] / 65535f;
        }
        return image;
    }

    /// <summary>
    /// Interleaved 8-bit samples: round(clamp(v, 0, 1)·255) with ties to even (numpy's round, as in KAIR's
    /// tensor2uint), NaN as 0. Exact inverse of <see cref="FromBytes"/>.
    /// </summary>
    public void CopyToBytes(Span<byte> interleaved)
    {
        if (interleaved.Length != Data.Length)
            throw new ArgumentException($"{interleaved.Length} bytes for a {SizeText} image ({Data.Length} samples).", nameof(interleaved));
        int n = PlaneSize;
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> plane = Plane(c);
            for (int i = 0, j = c; i < n; i++, j += Channels) interleaved[j] = ToByte(plane[i]);
        }
    }

    /// <summary>The samples as interleaved bytes (see <see cref="CopyToBytes"/>).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Data.Length];
        CopyToBytes(bytes);
        return bytes;
    }

    /// <summary>Interleaved 16-bit samples: round(clamp(v, 0, 1)·65535), ties to even, NaN as 0.</summary>
    public void CopyToUInt16(Span<ushort> interleaved)
    {
        if (interleaved.Length != Data.Length)
            throw new ArgumentException($"{interleaved.Length} samples for a {SizeText} image ({Data.Length}).", nameof(interleaved));
        int n = PlaneSize;
        for (int c = 0; c < Channels; c++)
        {
            ReadOnlySpan<float> plane = Plane(c);
            for (int i = 0, j = c; i < n; i++, j += Channels) interleaved[j] = ToUInt16(plane[i]);
        }
    }

    /// <summary>One sample quantised to 8 bits (clamp, round half to even, NaN → 0).</summary>
    public static byte ToByte(float value)
    {
        float s = value * 255f;
        if (!(s > 0f)) return 0; // negatives and NaN
        if (s >= 255f) return 255;
        return (byte)MathF.Round(s); // MidpointRounding.ToEven
    }

    /// <summary>One sample quantised to 16 bits (clamp, round half to even, NaN → 0).</summary>
    public static ushort ToUInt16(float value)
    {
        float s = value * 65535f;
        if (!(s > 0f)) return 0;
        if (s >= 65535f) return 65535;
        return (ushort)MathF.Round(s);
    }
}
