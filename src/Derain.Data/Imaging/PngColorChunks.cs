using System.Buffers.Binary;

namespace Derain.Data.Imaging;

/// <summary>
/// Removes the colour-management chunks (gAMA, sRGB, iCCP, cHRM) from a PNG stream. libpng's simplified API
/// converts samples to sRGB (8-bit) or linear light (16-bit) whenever a file declares another gamma — Vid4's
/// frames declare gAMA 0.4, for instance — while every reference pipeline (OpenCV, PIL, ffmpeg) hands back the
/// stored code values. Without these chunks libpng assumes 8-bit data is sRGB and 16-bit data linear, which are
/// exactly the identity cases, so Derain sees the stored values. Each chunk carries its own CRC, so dropping
/// whole ancillary chunks leaves a valid stream.
/// </summary>
internal static class PngColorChunks
{
    private static readonly uint[] Dropped = [Tag("gAMA"), Tag("sRGB"), Tag("iCCP"), Tag("cHRM")];
    private static readonly uint End = Tag("IEND");
    private const int SignatureLength = 8;

    /// <summary>The stream without the colour chunks (the same array when it has none or is malformed: libpng then reports the damage).</summary>
    public static byte[] Strip(byte[] png)
    {
        List<(int Start, int Length)>? drop = null;
        int pos = SignatureLength;
        while (pos + 12 <= png.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            uint type = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 4));
            long total = 12L + length;
            if (pos + total > png.Length) break;
            if (Array.IndexOf(Dropped, type) >= 0) (drop ??= []).Add((pos, (int)total));
            if (type == End) break;
            pos += (int)total;
        }
        if (drop is null) return png;

        var result = new byte[png.Length - drop.Sum(d => d.Length)];
        int from = 0, to = 0;
        foreach (var (start, length) in drop)
        {
            png.AsSpan(from, start - from).CopyTo(result.AsSpan(to));
            to += start - from;
            from = start + length;
        }
        png.AsSpan(from).CopyTo(result.AsSpan(to));
        return result;
    }

    private static uint Tag(string name) => (uint)(name[0] << 24 | name[1] << 16 | name[2] << 8 | name[3]);
}
