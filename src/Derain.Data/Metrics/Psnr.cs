namespace Derain.Data.Metrics;

/// <summary>
/// Peak signal-to-noise ratio with peak 255 over every sample of every plane at once (KAIR calculate_psnr,
/// MATLAB 20·log10(255/rmse)). The squared error is summed in integers, so the mean is exact whatever the order.
/// </summary>
internal static class Psnr
{
    /// <summary>PSNR in dB; +∞ for identical planes.</summary>
    public static double Compute(MetricPlanes a, MetricPlanes b)
    {
        var x = a.Data;
        var y = b.Data;
        long sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int d = x[i] - y[i];
            sum += d * d;
        }
        if (sum == 0) return double.PositiveInfinity;
        double mse = (double)sum / x.Length;
        return 20 * Math.Log10(255.0 / Math.Sqrt(mse));
    }
}
