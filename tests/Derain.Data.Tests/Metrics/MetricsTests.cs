using Derain.Data.Imaging;
using Derain.Data.Metrics;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Metrics;

public sealed class MetricsTests
{
    internal static Image Noisy(int w, int h, int seed, int channels = 3)
        => Image.FromBytes(Samples.RandomBytes(w * h * channels, seed), channels, h, w);

    [Fact]
    public void IdenticalImagesScoreInfinityAndOne()
    {
        var image = Samples.Smooth(40, 30);
        foreach (var convention in Enum.GetValues<MetricConvention>())
        {
            var s = QualityMetrics.Evaluate(image, image.Clone(), new MetricOptions(convention));
            Assert.Equal(double.PositiveInfinity, s.Psnr);
            Assert.Equal(1.0, s.Ssim, 1e-12);
        }
    }

    [Fact]
    public void PsnrOfAKnownError()
    {
        var a = Image.FromBytes(Enumerable.Repeat((byte)100, 3 * 16).ToArray(), 3, 4, 4);
        var b = Image.FromBytes(Enumerable.Repeat((byte)110, 3 * 16).ToArray(), 3, 4, 4);
        Assert.Equal(20 * Math.Log10(255.0 / 10), QualityMetrics.ComputePsnr(a, b), 1e-12);
    }

    /// <summary>The separable, vectorised SSIM against a direct 11×11 window at widths that exercise every vector tail.</summary>
    [Fact]
    public void SsimEqualsDirectWindowAtEveryWidth()
    {
        for (int w = 11; w <= 11 + 2 * 8 + 1; w++)
        {
            var a = Noisy(w, 13, seed: w);
            var b = Noisy(w, 13, seed: 100 + w);
            var opts = new MetricOptions(MetricConvention.Rgb);
            double expected = 0;
            for (int c = 0; c < 3; c++) expected += DirectSsim(a.ToBytes(), b.ToBytes(), c, w, 13) / 3;
            Assert.Equal(expected, QualityMetrics.ComputeSsim(a, b, opts), 1e-12);
        }
    }

    [Fact]
    public void LumaFormulasOfTheReferences()
    {
        // MATLAB rgb2ycbcr(uint8): white 235, black 16; OpenCV full range: white 255.
        Assert.Equal(235, MetricPlanes.MatlabLuma(255, 255, 255));
        Assert.Equal(16, MetricPlanes.MatlabLuma(0, 0, 0));
        Assert.Equal(81, MetricPlanes.MatlabLuma(255, 0, 0));   // 16 + 65.481 = 81.481
        Assert.Equal(255, MetricPlanes.OpenCvLuma(255, 255, 255));
        Assert.Equal(76, MetricPlanes.OpenCvLuma(255, 0, 0));   // 0.299·255 = 76.2
        Assert.Equal(29, MetricPlanes.OpenCvLuma(0, 0, 255));   // 0.114·255 = 29.07
    }

    [Fact]
    public void CropRemovesTheBorderBeforeBothMetrics()
    {
        var a = Samples.Smooth(40, 30);
        var b = a.Clone();
        for (int c = 0; c < 3; c++) b.Plane(c)[0] = 1 - b.Plane(c)[0]; // differ only in the corner pixel
        Assert.True(double.IsFinite(QualityMetrics.ComputePsnr(a, b)));
        var cropped = QualityMetrics.Evaluate(a, b, new MetricOptions(MetricConvention.Rgb, CropBorder: 1));
        Assert.Equal(double.PositiveInfinity, cropped.Psnr);
        Assert.Equal(1.0, cropped.Ssim, 1e-12);
    }

    [Fact]
    public void QuantisesLikeTheReferencesBeforeMeasuring()
    {
        var a = Noisy(24, 24, 5);
        var b = a.Clone();
        for (int i = 0; i < b.Data.Length; i++) b.Data[i] += 0.4f / 255; // less than half a level: same uint8 values
        Assert.Equal(double.PositiveInfinity, QualityMetrics.ComputePsnr(a, b, new MetricOptions(MetricConvention.Y)));
    }

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        Assert.Contains("40×30", Assert.Throws<ArgumentException>(() => QualityMetrics.Evaluate(Samples.Smooth(40, 30), Samples.Smooth(41, 30))).Message);
        Assert.Contains("colour channel", Assert.Throws<ArgumentException>(() => QualityMetrics.Evaluate(Samples.Smooth(20, 20), Samples.Smooth(20, 20, 1))).Message);
        Assert.Contains("11×11", Assert.Throws<ArgumentException>(() => QualityMetrics.ComputeSsim(Samples.Smooth(20, 20), Samples.Smooth(20, 20), new MetricOptions(CropBorder: 5))).Message);
    }

    [Fact]
    public void ConventionNamesRoundTrip()
    {
        foreach (var c in Enum.GetValues<MetricConvention>()) Assert.Equal(c, MetricConventions.Parse(c.Name()));
        Assert.Throws<FormatException>(() => MetricConventions.Parse("ycbcr"));
    }

    private static double DirectSsim(byte[] a, byte[] b, int channel, int w, int h)
    {
        var g = new double[11];
        for (int i = 0; i < 11; i++) g[i] = Math.Exp(-(i - 5) * (i - 5) / 4.5);
        double norm = g.Sum() * g.Sum();
        double c1 = 6.5025, c2 = 58.5225, sum = 0;
        for (int y = 0; y + 11 <= h; y++)
            for (int x = 0; x + 11 <= w; x++)
            {
                double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
                for (int dy = 0; dy < 11; dy++)
                    for (int dx = 0; dx < 11; dx++)
                    {
                        double wt = g[dy] * g[dx] / norm;
                        double p = a[((y + dy) * w + x + dx) * 3 + channel], q = b[((y + dy) * w + x + dx) * 3 + channel];
                        mx += wt * p; my += wt * q; sxx += wt * p * p; syy += wt * q * q; sxy += wt * p * q;
                    }
                sum += (2 * mx * my + c1) * (2 * (sxy - mx * my) + c2) / ((mx * mx + my * my + c1) * (sxx - mx * mx + syy - my * my + c2));
            }
        return sum / ((h - 10) * (w - 10));
    }
}
