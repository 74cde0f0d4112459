using Derain.Data.Imaging;

namespace Derain.Data.Tests.Infrastructure;

/// <summary>Deterministic test images.</summary>
internal static class Samples
{
    /// <summary>Random 8-bit samples (every value 0..255 occurs for a reasonable size).</summary>
    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static ushort[] RandomWords(int count, int seed)
    {
        var rng = new Random(seed);
        var words = new ushort[count];
        for (int i = 0; i < count; i++) words[i] = (ushort)rng.Next(65536);
        return words;
    }

    /// <summary>A smooth colour picture with some edges (compresses like a photo, unlike noise).</summary>
    public static Image Smooth(int width, int height, int channels = 3)
    {
        var image = new Image(channels, height, width);
        for (int c = 0; c < channels; c++)
        {
            var plane = image.Plane(c);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double v = 0.5 + 0.35 * Math.Sin((x + 7 * c) * 0.11) * Math.Cos((y - 3 * c) * 0.07);
                    if ((x / 16 + y / 16) % 2 == 0) v = 0.8 * v + 0.15;
                    plane[y * width + x] = (float)v;
                }
        }
        return image;
    }
}
