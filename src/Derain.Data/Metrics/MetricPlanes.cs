using Derain.Data.Imaging;

namespace Derain.Data.Metrics;

/// <summary>
/// The uint8 planes a convention measures, cropped: the references all quantise to uint8 first (KAIR tensor2uint,
/// MATLAB imread, OpenCV imread), so scores are computed on those values. Gray images are measured as their one
/// plane in every convention; alpha is ignored.
/// </summary>
internal sealed class MetricPlanes
{
    private MetricPlanes(int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
        Data = new byte[channels * height * width];
    }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>[C,H,W] samples.</summary>
    public byte[] Data { get; }

    public ReadOnlySpan<byte> Plane(int channel) => Data.AsSpan(channel * Height * Width, Height * Width);

    public static MetricPlanes From(Image image, MetricOptions options)
    {
        int crop = options.CropBorder;
        if (crop < 0) throw new ArgumentOutOfRangeException(nameof(options), crop, "crop border cannot be negative");
        int h = image.Height - 2 * crop, w = image.Width - 2 * crop;
        if (h < 1 || w < 1)
            throw new ArgumentException($"Cropping {crop} pixels from each side of a {image.Width}×{image.Height} image leaves nothing.");

        bool color = image.ColorChannels == 3;
        bool luma = color && options.Convention != MetricConvention.Rgb;
        var planes = new MetricPlanes(color && !luma ? 3 : 1, h, w);
        int stride = image.Width, plane = image.PlaneSize;
        var src = image.Data;
        var dst = planes.Data;
        if (!luma)
        {
            for (int c = 0; c < planes.Channels; c++)
                for (int y = 0; y < h; y++)
                    SampleQuantizer.ToBytes(src.AsSpan(c * plane + (y + crop) * stride + crop, w), dst.AsSpan((c * h + y) * w, w));
            return planes;
        }

        bool matlab = options.Convention == MetricConvention.Y;
        var rgb = new byte[3 * w];
        for (int y = 0; y < h; y++)
        {
            int s = (y + crop) * stride + crop, d = y * w;
            for (int c = 0; c < 3; c++) SampleQuantizer.ToBytes(src.AsSpan(c * plane + s, w), rgb.AsSpan(c * w, w));
            for (int x = 0; x < w; x++)
            {
                int r = rgb[x], g = rgb[w + x], b = rgb[2 * w + x];
                dst[d + x] = matlab ? MatlabLuma(r, g, b) : OpenCvLuma(r, g, b);
            }
        }
        return planes;
    }

    // MATLAB rgb2ycbcr for uint8: T = origT/255 applied by imlincomb in double, plus 16, rounded half away from
    // zero to uint8. Evaluated in the same order so exact ties (there are 194 colours whose Y is k + 0.5) round
    // as MATLAB's double arithmetic makes them.
    private const double MatlabR = 65.481 / 255, MatlabG = 128.553 / 255, MatlabB = 24.966 / 255;

    internal static byte MatlabLuma(int r, int g, int b)
        => (byte)Math.Round(MatlabR * r + MatlabG * g + MatlabB * b + 16, MidpointRounding.AwayFromZero);

    // OpenCV cvtColor(COLOR_RGB2YCrCb) on uint8: 14-bit fixed point (R2Y 4899, G2Y 9617, B2Y 1868), rounded.
    internal static byte OpenCvLuma(int r, int g, int b) => (byte)((r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14);
}
