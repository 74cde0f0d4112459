using System.Numerics;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Kernels.Managed.Gemm;

namespace Derain.Tensors.Tests.Kernels;

/// <summary>
/// The managed GEMM against a naive float64 triple loop, on every tail of every micro-kernel this machine can
/// run (m and n cross MR/NR strip edges, k crosses the KC slice, large sizes cross the MC and NC blocks),
/// with all transposition combinations, padded leading dimensions and alpha/beta. Padding is filled with NaN
/// so a read outside the matrices shows up as NaN in C.
/// </summary>
public class GemmTests
{
    /// <summary>The micro-kernels this machine runs (by name: the enum is internal to the library).</summary>
    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string>();
        foreach (var p in new[] { GemmPath.Scalar, GemmPath.Vector256, GemmPath.Vector512 })
            if (ManagedGemm.IsAvailable(p)) d.Add(p.ToString());
        return d;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_m_n_tail_matches_reference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        for (int m = 1; m <= 40; m++)
            for (int n = 1; n <= 40; n++)
                foreach (int k in (int[])[1, 7])
                {
                    int t = (m * 41 + n + k) & 3;   // cycle through the four transposition cases
                    Check<float>(path, t >= 2, (t & 1) == 1, m, n, k, 1.0, 0.0, pad: 0, seed: (ulong)(m * 1000 + n * 10 + k));
                    Check<double>(path, (t & 1) == 1, t >= 2, m, n, k, -0.5, 1.0, pad: 1, seed: (ulong)(m * 1000 + n * 10 + k));
                }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_k_with_all_transpositions_matches_reference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        foreach (bool ta in (bool[])[false, true])
            foreach (bool tb in (bool[])[false, true])
                for (int k = 1; k <= 40; k++)
                {
                    Check<float>(path, ta, tb, 13, 37, k, 1.25, -0.75, pad: 3, seed: (ulong)k);
                    Check<double>(path, ta, tb, 9, 17, k, 1.0, 0.0, pad: 0, seed: (ulong)k + 100);
                }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Large_odd_sizes_cross_every_block_edge(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        foreach (bool ta in (bool[])[false, true])
            foreach (bool tb in (bool[])[false, true])
            {
                Check<float>(path, ta, tb, 389, 67, 259, 1.0, 0.0, pad: 5, seed: 1);     // M blocks, KC slices
                Check<double>(path, ta, tb, 101, 45, 517, 0.5, 2.0, pad: 2, seed: 2);
            }
        Check<float>(path, false, true, 5, 4133, 11, 1.0, 0.0, pad: 1, seed: 3);      // crosses the float NC panel
        Check<double>(path, true, false, 7, 2071, 3, -1.0, 0.5, pad: 0, seed: 4);     // crosses the double NC panel
    }

    [Fact]
    public void Vector_paths_are_bit_identical_to_the_scalar_path()
    {
        foreach (var path in new[] { GemmPath.Vector256, GemmPath.Vector512 })
        {
            if (!ManagedGemm.IsAvailable(path)) continue;
            foreach (var (m, n, k) in new[] { (37, 41, 300), (8, 33, 5), (130, 70, 513) })
            {
                var a = RandomArray<float>(m * k, 11);
                var b = RandomArray<float>(k * n, 12);
                var scalar = Multiply(GemmPath.Scalar, a, b, m, n, k);
                var vector = Multiply(path, a, b, m, n, k);
                Assert.Equal(scalar, vector);
            }
        }
    }

    [Fact]
    public void Beta_zero_overwrites_NaN_and_alpha_zero_ignores_A_and_B()
    {
        var c = new float[] { float.NaN, float.PositiveInfinity, 2, 3 };
        ManagedKernels.Instance.Gemm(false, false, 2, 2, 1, 1f, [1f, 2f], 1, [3f, 4f], 2, 0f, c, 2);
        Assert.Equal([3f, 4f, 6f, 8f], c);

        var c2 = new float[] { 1, 2, 3, 4 };
        ManagedKernels.Instance.Gemm(false, false, 2, 2, 1, 0f, [float.NaN, 1f], 1, [1f, float.NaN], 2, 2f, c2, 2);
        Assert.Equal([2f, 4f, 6f, 8f], c2);

        var c3 = new double[] { 1, 2, 3, 4 };
        ManagedKernels.Instance.Gemm(false, false, 2, 2, 0, 1.0, [], 1, [], 2, -1.0, c3, 2);
        Assert.Equal([-1.0, -2, -3, -4], c3);
    }

    [Fact]
    public void Too_short_operand_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            ManagedKernels.Instance.Gemm(false, false, 3, 3, 3, 1f, new float[8], 3, new float[9], 3, 0f, new float[9], 3));
        Assert.Contains("A holds 8", e.Message);
    }

    [Theory]
    [InlineData(6, 5, 7, 9, false, true)]        // many small products: one per thread
    [InlineData(3, 70, 90, 80, true, false)]     // large products: one after another, each parallel
    public void Batched_gemm_matches_per_batch_reference(int batch, int m, int n, int k, bool ta, bool tb)
    {
        foreach (var (sa, sb) in new[] { (m * k, k * n), (0, k * n), (m * k, 0) })
        {
            var a = RandomArray<double>(sa == 0 ? m * k : batch * m * k, 21);
            var b = RandomArray<double>(sb == 0 ? k * n : batch * k * n, 22);
            var c = new double[batch * m * n];
            Array.Fill(c, double.NaN);
            ManagedKernels.Instance.BatchedGemm<double>(batch, ta, tb, m, n, k, a, sa, b, sb, c, m * n);
            for (int i = 0; i < batch; i++)
            {
                var expect = Reference(ta, tb, m, n, k, 1, a.AsSpan(i * sa), ta ? m : k, b.AsSpan(i * sb), tb ? k : n, 0, new double[m * n], n);
                for (int j = 0; j < m * n; j++)
                    Assert.True(Math.Abs(c[i * m * n + j] - expect.Value[j]) <= 1e-13 * (1 + expect.AbsSum[j]),
                        $"batch {i} element {j}: {c[i * m * n + j]} vs {expect.Value[j]} (strides {sa}, {sb})");
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static float[] Multiply(GemmPath path, float[] a, float[] b, int m, int n, int k)
    {
        var c = new float[m * n];
        ManagedGemm.ForcedPath = path;
        try { ManagedKernels.Instance.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n); }
        finally { ManagedGemm.ForcedPath = GemmPath.Auto; }
        return c;
    }

    private static void Check<T>(GemmPath path, bool ta, bool tb, int m, int n, int k, double alpha, double beta, int pad, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k); each row padded by `pad` NaNs.
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = Padded<T>(aRows, aCols, lda, seed * 3 + 1, T.NaN);
        var b = Padded<T>(bRows, bCols, ldb, seed * 3 + 2, T.NaN);
        var c = Padded<T>(m, n, ldc, seed * 3 + 3, T.CreateTruncating(12345));
        if (beta == 0)
            for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(T.NaN);   // beta = 0 must overwrite NaN
        var c0 = c.Select(double.CreateTruncating).ToArray();
        var expect = Reference(ta, tb, m, n, k, alpha, ToDouble(a), lda, ToDouble(b), ldb, beta, c0, ldc);

        ManagedGemm.ForcedPath = path;
        try { ManagedKernels.Instance.Gemm(ta, tb, m, n, k, T.CreateTruncating(alpha), a, lda, b, ldb, T.CreateTruncating(beta), c, ldc); }
        finally { ManagedGemm.ForcedPath = GemmPath.Auto; }

        // Rigorous bound for a k-term fused dot product plus the alpha/beta update: (k+2)·u·Σ|terms|.
        double u = typeof(T) == typeof(float) ? 6e-8 : 1.2e-16;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double got = double.CreateTruncating(c[i * ldc + j]);
                double want = expect.Value[i * n + j];
                double tol = (k + 2) * u * expect.AbsSum[i * n + j] + 1e-30;
                if (!(Math.Abs(got - want) <= tol))
                    Assert.Fail($"{typeof(T).Name} {path} ta={ta} tb={tb} m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad}: C[{i},{j}] = {got}, expected {want}.");
            }
            for (int j = n; j < ldc; j++)
                Assert.True(double.CreateTruncating(c[i * ldc + j]) == 12345, $"C padding at [{i},{j}] was written (m={m} n={n} k={k}).");
        }
    }

    private sealed record Expected(double[] Value, double[] AbsSum);

    private static Expected Reference(bool ta, bool tb, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, double[] c, int ldc)
    {
        var value = new double[m * n];
        var abs = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, sa = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    s += t;
                    sa += Math.Abs(t);
                }
                double ci = beta == 0 ? 0 : beta * c[i * ldc + j];
                value[i * n + j] = alpha * s + ci;
                abs[i * n + j] = Math.Abs(alpha) * sa + Math.Abs(ci);
            }
        return new Expected(value, abs);
    }

    private static T[] Padded<T>(int rows, int cols, int ld, ulong seed, T fill) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[Math.Max(rows * ld, 0)];
        Array.Fill(r, fill);
        var values = RandomArray<T>(rows * cols, seed);
        for (int i = 0; i < rows; i++) values.AsSpan(i * cols, cols).CopyTo(r.AsSpan(i * ld, cols));
        return r;
    }

    private static T[] RandomArray<T>(int count, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(seed);
        var r = new T[count];
        for (int i = 0; i < count; i++) r[i] = T.CreateTruncating(2 * g.NextDouble() - 1);
        return r;
    }

    private static double[] ToDouble<T>(T[] a) where T : unmanaged, IFloatingPointIeee754<T> => a.Select(double.CreateTruncating).ToArray();
}
