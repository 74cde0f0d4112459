using Derain.Data.Imaging;

namespace Derain.Data.Tests.Infrastructure;

/// <summary>The fixed integer degradation of tools/metrics_reference.py (degrade()), repeated exactly.</summary>
internal static class Degrade
{
    public static Image Apply(Image clean)
    {
        int h = clean.Height, w = clean.Width, c = clean.Channels;
        var bytes = clean.ToBytes();
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int k = 0; k < c; k++)
                {
                    uint mixed = unchecked((uint)(i * 131 + j * 71 + k * 29) * 2654435761u);
                    int v = bytes[(i * w + j) * c + k] + (int)(mixed >> 27) - 16;
                    if ((i + 3 * j) % 17 == 0) v += 60;
                    bytes[(i * w + j) * c + k] = (byte)Math.Clamp(v, 0, 255);
                }
        return Image.FromBytes(bytes, c, h, w);
    }
}
