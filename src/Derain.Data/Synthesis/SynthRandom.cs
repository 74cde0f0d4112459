using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>Distributions drawn from the one seeded <see cref="Generator"/>.</summary>
internal static class SynthRandom
{
    /// <summary>Uniform in [low, high).</summary>
    public static double Uniform(this Generator rng, double low, double high) => low + (high - low) * rng.NextDouble();

    /// <summary>Poisson-distributed count with mean <paramref name="mean"/> (Knuth's product method; means here are small).</summary>
    public static int Poisson(this Generator rng, double mean)
    {
        if (mean <= 0) return 0;
        if (mean > 50) return Math.Max(0, (int)Math.Round(mean + Math.Sqrt(mean) * rng.NextGaussian()));
        double limit = Math.Exp(-mean), product = rng.NextDouble();
        int count = 0;
        while (product > limit)
        {
            count++;
            product *= rng.NextDouble();
        }
        return count;
    }

    /// <summary>A sub-seed for an independent stream (one per video, per frame…), so each stream can be rebuilt alone.</summary>
    public static ulong NextSeed(this Generator rng) => rng.NextUInt64();
}
