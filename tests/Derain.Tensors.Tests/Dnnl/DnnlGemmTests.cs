using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.Dnnl;

/// <summary>
/// dnnl_sgemm and the batched matmul against <see cref="NaiveGemm"/> in float64. Tolerance 1e-5·(|ref| +
/// rms(ref)): float32 dot products of at most a few hundred terms. Elements of C outside the m×n window (row
/// padding when ldc &gt; n, gaps between batches) must be left untouched, bit for bit.
/// </summary>
public class DnnlGemmTests
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData(false, false, 37, 29, 19, 0, 0, 0, 1.0, 0.0)]
    [InlineData(true, false, 37, 29, 19, 3, 0, 5, 1.0, 0.0)]
    [InlineData(false, true, 37, 29, 19, 0, 7, 0, 0.5, -1.5)]
    [InlineData(true, true, 37, 29, 19, 2, 1, 3, -2.0, 1.0)]
    [InlineData(false, false, 130, 70, 65, 4, 4, 4, 1.0, 0.0)]
    [InlineData(true, true, 64, 576, 96, 0, 0, 0, 1.0, 0.25)]
    [InlineData(false, true, 1, 1, 300, 0, 0, 0, 1.0, 0.0)]
    public void Gemm_matches_reference(bool transA, bool transB, int m, int n, int k, int padA, int padB, int padC, double alpha, double beta)
    {
        int rowsA = transA ? k : m, colsA = transA ? m : k;
        int rowsB = transB ? n : k, colsB = transB ? k : n;
        int lda = colsA + padA, ldb = colsB + padB, ldc = n + padC;
        var a = TestData.Uniform(rowsA * lda, 21);
        var b = TestData.Uniform(rowsB * ldb, 22);
        var c = TestData.Uniform(m * ldc, 23);
        if (beta == 0)
            for (int i = 0; i < m; i++) c[i * ldc] = float.NaN; // beta = 0 must overwrite, not scale, C
        var expected = NaiveGemm.Compute(transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
        var actual = (float[])c.Clone();
        Backend.Gemm(transA, transB, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, actual, ldc);
        AssertClose(expected, actual, Tol, $"gemm tA={transA} tB={transB} {m}x{n}x{k}");
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(c[i * ldc + j]), BitConverter.SingleToInt32Bits(actual[i * ldc + j]));
    }

    [Fact]
    public void Gemm_with_empty_inner_dimension_scales_C_by_beta()
    {
        var c = TestData.Uniform(12, 24);
        var actual = (float[])c.Clone();
        Backend.Gemm(false, false, 3, 4, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 4, 0.5f, actual, 4);
        AssertClose([.. c.Select(v => 0.5 * v)], actual, Tol, "k = 0");
    }

    [Fact]
    public void Gemm_rejects_spans_and_strides_that_do_not_fit()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2)); // lda < k
        Assert.Throws<ArgumentException>(() => Backend.Gemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, new float[3], 2)); // C too short
        Assert.Throws<ArgumentException>(() => Backend.Gemm(true, false, 2, 2, 3, 1f, new float[5], 2, b, 2, 0f, c, 2)); // Aᵀ too short
    }

    [Theory]
    // batch, transA, transB, m, n, k, strideA (−1: dense, 0: broadcast, else explicit), strideB, strideC (−1 dense)
    [InlineData(5, false, false, 7, 6, 5, -1, -1, -1)]
    [InlineData(5, true, false, 7, 6, 5, -1, -1, -1)]
    [InlineData(5, false, true, 7, 6, 5, -1, -1, -1)]
    [InlineData(5, true, true, 7, 6, 5, -1, -1, -1)]
    [InlineData(4, false, false, 9, 8, 16, 0, -1, -1)]
    [InlineData(4, true, true, 9, 8, 16, -1, 0, -1)]
    [InlineData(3, false, true, 6, 5, 4, 40, 33, 50)] // gaps between matrices
    [InlineData(3, false, false, 4, 4, 4, 4, -1, -1)] // overlapping A (a sliding window): per-batch fallback
    [InlineData(1, true, false, 33, 17, 9, -1, -1, -1)]
    [InlineData(64, false, false, 64, 64, 32, -1, -1, -1)]
    public void BatchedGemm_matches_reference(int batch, bool transA, bool transB, int m, int n, int k, int strideA, int strideB, int strideC)
    {
        int sizeA = m * k, sizeB = k * n, sizeC = m * n;
        if (strideA < 0) strideA = sizeA;
        if (strideB < 0) strideB = sizeB;
        if (strideC < 0) strideC = sizeC;
        var a = TestData.Uniform((batch - 1) * strideA + sizeA, 31);
        var b = TestData.Uniform((batch - 1) * strideB + sizeB, 32);
        var c = TestData.Uniform((batch - 1) * strideC + sizeC, 33);
        var expected = c.Select(v => (double)v).ToArray();
        for (int i = 0; i < batch; i++)
        {
            var one = NaiveGemm.Compute(transA, transB, m, n, k, 1, a, i * strideA, transA ? m : k, b, i * strideB, transB ? k : n, 0, c, i * strideC, n);
            Array.Copy(one, i * strideC, expected, i * strideC, sizeC);
        }
        var actual = (float[])c.Clone();
        Backend.BatchedGemm<float>(batch, transA, transB, m, n, k, a, strideA, b, strideB, actual, strideC);
        AssertClose(expected, actual, Tol, $"batched {batch}× tA={transA} tB={transB} {m}x{n}x{k} strides {strideA}/{strideB}/{strideC}");
        for (int i = 0; i < actual.Length; i++)
            if (i % strideC >= sizeC)
                Assert.Equal(BitConverter.SingleToInt32Bits(c[i]), BitConverter.SingleToInt32Bits(actual[i]));
    }

    [Fact]
    public void BatchedGemm_with_empty_inner_dimension_writes_zeros()
    {
        var c = Poisoned(2 * 6);
        Backend.BatchedGemm<float>(2, false, false, 2, 3, 0, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 0, c, 6);
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BatchedGemm_plans_are_cached_per_shape()
    {
        using var k = DnnlKernels.CreateIsolated();
        var a = TestData.Uniform(4 * 8 * 8, 34);
        var c = new float[4 * 8 * 8];
        k.BatchedGemm<float>(4, false, false, 8, 8, 8, a, 64, a, 64, c, 64);
        long first = k.PrimitivesCreated;
        Assert.True(first >= 1);
        k.BatchedGemm<float>(4, false, false, 8, 8, 8, a, 64, a, 64, c, 64);
        Assert.Equal(first, k.PrimitivesCreated);
        k.BatchedGemm<float>(4, false, false, 8, 8, 8, a, 0, a, 64, c, 64);
        Assert.True(k.PrimitivesCreated > first);
    }

    [Fact]
    public void Double_calls_run_on_the_managed_kernels()
    {
        var a = new double[] { 1, 2, 3, 4 };
        var c = new double[4];
        Backend.Gemm(false, false, 2, 2, 2, 1.0, a, 2, a, 2, 0.0, c, 2);
        Assert.Equal([7.0, 10.0, 15.0, 22.0], c);
    }
}
