namespace Derain.Models.Mgid;

/// <summary>
/// Globally optimal 1-D k-means (minimum total within-cluster sum of squares), by dynamic programming over the sorted
/// values — the problem the official MGID code solves with the <c>kmeans1d</c> package (<c>kmeans1d.cluster</c>,
/// Grønlund et al. 2017, "Fast exact k-means, k-medians and Bregman divergence clustering in 1D") in
/// <c>model/ISW_loss.py</c>. In one dimension an optimal clustering is a partition of the sorted values into
/// <c>k</c> contiguous runs, so D[m][i] = min over j of D[m−1][j−1] + cost(j, i) (the best cost of the first i+1 values
/// in m+1 runs, the last run being j..i) finds it exactly. kmeans1d evaluates each DP row with SMAWK in O(n); here
/// each row is evaluated by divide and conquer in O(n log n), which relies on the same property (the optimal start of
/// the last run never decreases as i grows, because the cost satisfies the quadrangle inequality) and reaches the same
/// optimum. Run costs use kmeans1d's prefix-sum expression, evaluated in float64 on the float32 values, so the
/// rounding of near-equal alternatives matches it too; only exact ties between two optimal partitions may be broken
/// differently (this code takes the leftmost optimal start).
/// </summary>
public static class KMeans1D
{
    /// <summary>
    /// Sizes of the optimal clusters of <paramref name="values"/> in ascending order of their centroids (cluster 0
    /// holds the smallest values, as kmeans1d numbers them). <paramref name="k"/> is reduced to the number of values,
    /// as kmeans1d does.
    /// </summary>
    public static int[] ClusterSizes(ReadOnlySpan<double> values, int k)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return ClusterSizesOfSorted(sorted, k);
    }

    /// <summary>As <see cref="ClusterSizes"/>, for values already in ascending order.</summary>
    public static int[] ClusterSizesOfSorted(ReadOnlySpan<double> sorted, int k)
    {
        int n = sorted.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (n == 0) throw new ArgumentException("k-means needs at least one value.", nameof(sorted));
        for (int i = 1; i < n; i++)
            if (!(sorted[i] >= sorted[i - 1])) throw new ArgumentException($"The values must be finite and ascending (index {i}).", nameof(sorted));
        k = Math.Min(k, n);

        var prefix = new double[n + 1];
        var prefix2 = new double[n + 1];
        for (int i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
            prefix2[i + 1] = prefix2[i] + sorted[i] * sorted[i];
        }

        // starts[m][i]: the first index of the last run in the best split of values 0..i into m+1 runs (i ≥ m).
        var starts = new int[k][];
        var previous = new double[n];
        var current = new double[n];
        for (int i = 0; i < n; i++) previous[i] = Cost(prefix, prefix2, 0, i);
        starts[0] = new int[n];
        for (int m = 1; m < k; m++)
        {
            var start = starts[m] = new int[n];
            Array.Fill(current, double.PositiveInfinity);
            Solve(prefix, prefix2, previous, current, start, m, n - 1, m, n - 1);
            (previous, current) = (current, previous);
        }

        // Walk back from the full set: run m spans starts[m][end]..end.
        var sizes = new int[k];
        int last = n - 1;
        for (int m = k - 1; m >= 0; m--)
        {
            int first = starts[m][last];
            sizes[m] = last - first + 1;
            last = first - 1;
        }
        return sizes;
    }

    /// <summary>
    /// Fills current[lo..hi] with min over j ∈ [optLo, min(i, optHi)] of previous[j−1] + cost(j, i), knowing that the
    /// optimal j of every i in the range lies in [optLo, optHi] (monotone optimum).
    /// </summary>
    private static void Solve(double[] prefix, double[] prefix2, double[] previous, double[] current, int[] start,
        int lo, int hi, int optLo, int optHi)
    {
        // The first split runs its two halves on two threads: they write disjoint entries and read only the previous
        // row, so the result is the same as sequentially. (BSW's k-means over 8 × 64² values took ~0.1 s of MGID's
        // training step on one thread while the other idled; ./bench mgid --profile.)
        if (hi - lo >= ParallelMinimum && Derain.Tensors.Kernels.KernelBackend.Threads > 1)
        {
            var (mid, bestJ) = SolveOne(prefix, prefix2, previous, current, start, lo, hi, optLo, optHi);
            Parallel.Invoke(
                () => SolveRange(prefix, prefix2, previous, current, start, lo, mid - 1, optLo, bestJ),
                () => SolveRange(prefix, prefix2, previous, current, start, mid + 1, hi, bestJ, optHi));
            return;
        }
        SolveRange(prefix, prefix2, previous, current, start, lo, hi, optLo, optHi);
    }

    /// <summary>Rows at least this long split their first level over two threads.</summary>
    private const int ParallelMinimum = 4096;

    private static void SolveRange(double[] prefix, double[] prefix2, double[] previous, double[] current, int[] start,
        int lo, int hi, int optLo, int optHi)
    {
        // An explicit stack instead of recursion: each range splits at its middle index.
        var stack = new Stack<(int Lo, int Hi, int OptLo, int OptHi)>();
        stack.Push((lo, hi, optLo, optHi));
        while (stack.Count > 0)
        {
            var (l, h, ol, oh) = stack.Pop();
            if (l > h) continue;
            var (mid, bestJ) = SolveOne(prefix, prefix2, previous, current, start, l, h, ol, oh);
            stack.Push((l, mid - 1, ol, bestJ));
            stack.Push((mid + 1, h, bestJ, oh));
        }
    }

    /// <summary>The middle index of [l, h]: its best value and start (leftmost on ties) among [ol, min(mid, oh)].</summary>
    private static (int Mid, int BestJ) SolveOne(double[] prefix, double[] prefix2, double[] previous, double[] current, int[] start,
        int l, int h, int ol, int oh)
    {
        int mid = (l + h) >> 1;
        double best = double.PositiveInfinity;
        int bestJ = ol;
        int top = Math.Min(mid, oh);
        for (int j = ol; j <= top; j++)
        {
            double value = previous[j - 1] + Cost(prefix, prefix2, j, mid);
            if (value < best)
            {
                best = value;
                bestJ = j;
            }
        }
        current[mid] = best;
        start[mid] = bestJ;
        return (mid, bestJ);
    }

    /// <summary>Sum of squared deviations of sorted[i..j] from their mean, as kmeans1d's CostCalculator computes it.</summary>
    private static double Cost(double[] prefix, double[] prefix2, int i, int j)
    {
        if (j < i) return 0.0;
        int count = j - i + 1;
        double sum = prefix[j + 1] - prefix[i];
        double mu = sum / count;
        double result = prefix2[j + 1] - prefix2[i];
        result += count * (mu * mu);
        result -= 2 * mu * sum;
        return result;
    }
}
