using Derain.Models.Mgid;
using Derain.Models.Tests.Infrastructure;

namespace Derain.Models.Tests.Mgid;

/// <summary>
/// <see cref="KMeans1D"/> against two independent references: exhaustive search over every partition of small sorted
/// sets into contiguous runs, and the dense O(k n²) dynamic programme of tools/golden/mgid_loss.py
/// (Fixtures/mgid_loss/kmeans.npz) on 3000 heavy-tailed values, 60 values with k close to n, and values with repeats.
/// </summary>
public sealed class KMeans1DTests
{
    private static readonly Dictionary<string, Derain.Tensors.Serialization.NpyArray> Case = MgidLossGolden.Load("kmeans");

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    [InlineData("c")]
    public void Cluster_sizes_match_the_dense_dynamic_programme(string which)
    {
        var values = Case["values_" + which].Data;
        var expected = Case["sizes_" + which].Data.Select(v => (int)v).ToArray();
        Assert.Equal(expected, KMeans1D.ClusterSizes(values, 50));
    }

    [Fact]
    public void Cluster_sizes_match_exhaustive_search_on_small_sets()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 11), k = rng.Next(1, 5);
            var values = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 20) / 4 + rng.NextDouble() * 1e-3).ToArray();
            var sorted = values.OrderBy(v => v).ToArray();
            var sizes = KMeans1D.ClusterSizes(values, k);
            Assert.Equal(Math.Min(k, n), sizes.Length);
            Assert.Equal(n, sizes.Sum());
            Assert.All(sizes, s => Assert.True(s >= 1));
            double best = BestCost(sorted, 0, Math.Min(k, n));
            Assert.True(Math.Abs(Cost(sorted, sizes) - best) <= 1e-9, $"trial {trial}: cost {Cost(sorted, sizes)} but the optimum is {best}");
        }
    }

    [Fact]
    public void The_lowest_cluster_holds_the_smallest_values_wherever_they_are()
    {
        // Two far groups: 5 small values then 3 large ones, shuffled; k = 2 must separate them.
        double[] values = [10.0, 0.1, 0.2, 10.5, 0.15, 0.05, 11.0, 0.12];
        Assert.Equal([5, 3], KMeans1D.ClusterSizes(values, 2));
    }

    [Fact]
    public void Non_finite_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => KMeans1D.ClusterSizes([1.0, double.NaN, 2.0], 2));
        Assert.Throws<ArgumentException>(() => KMeans1D.ClusterSizes([], 2));
    }

    /// <summary>Minimum total within-run SSE of sorted[from..] split into exactly k contiguous non-empty runs.</summary>
    private static double BestCost(double[] sorted, int from, int k)
    {
        int n = sorted.Length - from;
        if (k == 1) return Sse(sorted, from, sorted.Length);
        double best = double.PositiveInfinity;
        for (int len = 1; len <= n - (k - 1); len++)
            best = Math.Min(best, Sse(sorted, from, from + len) + BestCost(sorted, from + len, k - 1));
        return best;
    }

    private static double Cost(double[] sorted, int[] sizes)
    {
        double total = 0;
        int start = 0;
        foreach (int s in sizes)
        {
            total += Sse(sorted, start, start + s);
            start += s;
        }
        return total;
    }

    private static double Sse(double[] v, int from, int to)
    {
        double mean = 0;
        for (int i = from; i < to; i++) mean += v[i];
        mean /= to - from;
        double s = 0;
        for (int i = from; i < to; i++) s += (v[i] - mean) * (v[i] - mean);
        return s;
    }
}
