using Derain.Data.Imaging;

namespace Derain.Data.Metrics;

/// <summary>
/// PSNR and SSIM of a restored image against its ground truth in one of the published conventions
/// (<see cref="MetricConvention"/>). Inputs are quantised to uint8 first, as every reference implementation does.
/// </summary>
public static class QualityMetrics
{
    /// <summary>Both metrics from one conversion of the pair.</summary>
    public static QualityScore Evaluate(Image prediction, Image groundTruth, MetricOptions? options = null)
    {
        var (a, b) = Prepare(prediction, groundTruth, options ?? new MetricOptions());
        return new QualityScore(Psnr.Compute(a, b), Ssim.Compute(a, b));
    }

    public static double ComputePsnr(Image prediction, Image groundTruth, MetricOptions? options = null)
    {
        var (a, b) = Prepare(prediction, groundTruth, options ?? new MetricOptions());
        return Psnr.Compute(a, b);
    }

    public static double ComputeSsim(Image prediction, Image groundTruth, MetricOptions? options = null)
    {
        var (a, b) = Prepare(prediction, groundTruth, options ?? new MetricOptions());
        return Ssim.Compute(a, b);
    }

    private static (MetricPlanes, MetricPlanes) Prepare(Image prediction, Image groundTruth, MetricOptions options)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(groundTruth);
        if (prediction.Width != groundTruth.Width || prediction.Height != groundTruth.Height)
            throw new ArgumentException($"The prediction is {prediction.Width}×{prediction.Height} but the ground truth is {groundTruth.Width}×{groundTruth.Height}.");
        if (prediction.ColorChannels != groundTruth.ColorChannels)
            throw new ArgumentException($"The prediction has {prediction.ColorChannels} colour channel(s) but the ground truth has {groundTruth.ColorChannels}.");
        return (MetricPlanes.From(prediction, options), MetricPlanes.From(groundTruth, options));
    }
}
