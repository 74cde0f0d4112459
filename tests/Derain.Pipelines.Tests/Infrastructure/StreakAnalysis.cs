namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>
/// Plain image statistics used to judge de-raining without any reference output: finite-difference gradient energies,
/// structure-tensor orientation, and a thin-bright-vertical-line detector. Planes are row-major on the 0…255 scale.
/// </summary>
internal static class StreakAnalysis
{
    /// <summary>Σ(∂/∂x)² and Σ(∂/∂y)² with forward differences.</summary>
    public static (double X, double Y) GradientEnergy(double[] plane, int width, int height)
    {
        double ex = 0, ey = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = plane[y * width + x];
                if (x + 1 < width) { double d = plane[y * width + x + 1] - v; ex += d * d; }
                if (y + 1 < height) { double d = plane[(y + 1) * width + x] - v; ey += d * d; }
            }
        return (ex, ey);
    }

    /// <summary>
    /// The share of structure-tensor energy (central differences, 5×5 window) whose dominant gradient lies within
    /// ±30° of horizontal, i.e. whose lines run within ±30° of vertical. Isotropic structure gives 1/3.
    /// </summary>
    public static double NearVerticalShare(double[] plane, int width, int height)
    {
        int n = width * height;
        var jxx = new double[n];
        var jyy = new double[n];
        var jxy = new double[n];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double gx = x > 0 && x < width - 1 ? (plane[y * width + x + 1] - plane[y * width + x - 1]) / 2 : 0;
                double gy = y > 0 && y < height - 1 ? (plane[(y + 1) * width + x] - plane[(y - 1) * width + x]) / 2 : 0;
                int i = y * width + x;
                (jxx[i], jyy[i], jxy[i]) = (gx * gx, gy * gy, gx * gy);
            }
        jxx = BoxMean(jxx, width, height, 2, 2);
        jyy = BoxMean(jyy, width, height, 2, 2);
        jxy = BoxMean(jxy, width, height, 2, 2);
        double near = 0, total = 0, limit = 30 * Math.PI / 180;
        for (int i = 0; i < n; i++)
        {
            double energy = jxx[i] + jyy[i];
            double angle = 0.5 * Math.Atan2(2 * jxy[i], jxx[i] - jyy[i]); // dominant gradient direction against the x axis
            total += energy;
            if (Math.Abs(angle) < limit) near += energy;
        }
        return near / total;
    }

    /// <summary>
    /// Evidence of a thin bright vertical line at each pixel: how much brighter it is than the pixels two columns to
    /// either side, averaged over the 9 pixels above and below (streaks are long; texture points are not).
    /// Positive on streaks; at or below zero where the pixel is not on a bright vertical line.
    /// </summary>
    public static double[] VerticalLineEvidence(double[] plane, int width, int height)
    {
        var ridge = new double[plane.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double left = plane[y * width + Math.Max(0, x - 2)], right = plane[y * width + Math.Min(width - 1, x + 2)];
                ridge[y * width + x] = plane[y * width + x] - 0.5 * (left + right);
            }
        return BoxMean(ridge, width, height, 4, 0);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
    }

    /// <summary>PSNR in dB of two planes on the 0…255 scale.</summary>
    public static double Psnr(double[] a, double[] b)
    {
        double mse = a.Zip(b, (p, q) => (p - q) * (p - q)).Average();
        return 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Mean over a (2ry+1)×(2rx+1) window, edges replicated.</summary>
    private static double[] BoxMean(double[] plane, int width, int height, int ry, int rx)
    {
        var result = new double[plane.Length];
        double count = (2 * ry + 1) * (2 * rx + 1);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int dy = -ry; dy <= ry; dy++)
                {
                    int row = Math.Clamp(y + dy, 0, height - 1) * width;
                    for (int dx = -rx; dx <= rx; dx++) sum += plane[row + Math.Clamp(x + dx, 0, width - 1)];
                }
                result[y * width + x] = sum / count;
            }
        return result;
    }
}
