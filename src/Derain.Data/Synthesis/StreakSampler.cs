using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// Draws one frame's streaks. Rain does not persist between frames (a drop crosses the view in a few
/// exposures), so every frame gets a fresh sample; only the wind angle is shared. Depth sets the look, as in
/// Garg &amp; Nayar 2007 (§4): near drops project long, wide (defocused) and sparse, far drops short, thin and dense.
/// </summary>
internal static class StreakSampler
{
    // A Gaussian of FWHM w has σ = w / (2·sqrt(2·ln 2)).
    private const double FwhmToSigma = 1 / 2.3548200450309493;

    // Half a pixel's footprint folded into σ so one-pixel streaks stay continuous at any angle instead of beading.
    private const double PixelSigma = 0.3;

    /// <summary>Appends the streaks of one frame of <paramref name="width"/>×<paramref name="height"/> to <paramref name="into"/>.</summary>
    public static void Sample(RainOptions options, int width, int height, double windDegrees, Generator rng, List<Streak> into)
    {
        if (options.StreakDensity <= 0 || options.StreakOpacity <= 0) return;
        double scale = RainOptions.ScaleFor(height);
        int layers = options.StreakLayers;
        // The volume of a slab of the view frustum grows with the square of its depth, so far layers hold more drops.
        var weights = new double[layers];
        for (int i = 0; i < layers; i++) weights[i] = Math.Pow(0.4 + DepthOf(i, layers), 2);
        double weightSum = weights.Sum();

        for (int i = 0; i < layers; i++)
        {
            double t = DepthOf(i, layers); // 0 near … 1 far
            double length = options.StreakLength * scale * Math.Pow(1.7, 1 - 2 * t);
            double fwhm = options.StreakWidth * scale * (0.8 + 1.2 * (1 - t) * (1 - t));
            double sigma = Math.Sqrt(Math.Pow(fwhm * FwhmToSigma, 2) + PixelSigma * PixelSigma);
            // Spreading the same light over a wider profile lowers its peak (the defocus of near drops).
            double peak = options.StreakOpacity * (0.75 + 0.5 * (1 - t)) * (fwhm * FwhmToSigma / sigma);

            // Centres fall in a margin around the frame too, so streaks enter across the border.
            double margin = length + 3 * sigma;
            double areaW = width + 2 * margin, areaH = height + 2 * margin;
            double expected = options.StreakDensity * (areaW * areaH / 10_000.0) * weights[i] / weightSum;
            int count = (int)expected + (rng.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);

            for (int k = 0; k < count; k++)
            {
                double cx = -margin + areaW * rng.NextDouble();
                double cy = -margin + areaH * rng.NextDouble();
                double angle = (windDegrees + options.WindJitter * rng.NextGaussian()) * Math.PI / 180;
                double len = length * Math.Exp(0.3 * rng.NextGaussian());
                double p = peak * Math.Min(2.5, Math.Exp(0.45 * rng.NextGaussian()));
                // A falling drop oscillates, so its streak brightens and dims along its length (Garg & Nayar 2006).
                double ripple = 0.12 * rng.NextDouble();
                double period = (10 + 20 * rng.NextDouble()) * scale;
                double phase = 2 * Math.PI * rng.NextDouble();
                into.Add(new Streak((float)cx, (float)cy, (float)Math.Sin(angle), (float)Math.Cos(angle),
                    (float)(len / 2), (float)sigma, (float)p, (float)ripple, (float)(2 * Math.PI / period), (float)phase));
            }
        }
    }

    private static double DepthOf(int layer, int layers) => layers == 1 ? 0.5 : layer / (double)(layers - 1);
}
