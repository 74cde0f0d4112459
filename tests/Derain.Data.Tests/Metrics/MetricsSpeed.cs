using Derain.Data.Metrics;
using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Derain.Data.Tests.Metrics;

/// <summary>
/// Metric speed on a 640×480 pair, one thread, in thread CPU time (the target: well under 50 ms).
/// A measurement for people (DERAIN_BENCH=1), not a timed assertion: timings on shared machines are noise.
/// </summary>
public sealed class MetricsSpeed(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void Report_640x480_cost_per_convention()
    {
        var a = MetricsTests.Noisy(640, 480, 1);
        var b = MetricsTests.Noisy(640, 480, 2);
        foreach (var convention in Enum.GetValues<MetricConvention>())
        {
            double ms = ThreadCpu.Best(() => QualityMetrics.Evaluate(a, b, new MetricOptions(convention)));
            output.WriteLine($"640×480 {convention.Name()} PSNR+SSIM: {ms:F1} ms CPU (best of runs)");
        }
    }
}
