using System.Runtime.InteropServices;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Tensors.Kernels.Dnnl;

public sealed partial class DnnlKernels
{
    /// <summary>Cache key of a batched GEMM: its sizes, transposes and batch strides (0 = broadcast).</summary>
    internal sealed record MatmulKey(int Batch, bool TransA, bool TransB, int M, int N, int K, long StrideA, long StrideB, long StrideC);

    private readonly DnnlPlanCache<MatmulKey> _matmulPlans = new(256);

    /// <summary>oneDNN's implementation name for a cached batched-GEMM plan (null if not cached), for diagnostics.</summary>
    internal string? MatmulImplementation(int batch, bool transA, bool transB, int m, int n, int k, long strideA, long strideB, long strideC)
    {
        lock (Gate) return _matmulPlans.Find(new MatmulKey(batch, transA, transB, m, n, k, strideA, strideB, strideC))?.Implementation;
    }

    /// <inheritdoc/>
    public override void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
    {
        if (typeof(T) != typeof(float))
        {
            base.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        SgemmF32(transA, transB, m, n, k, float.CreateTruncating(alpha), MemoryMarshal.Cast<T, float>(a), lda,
            MemoryMarshal.Cast<T, float>(b), ldb, float.CreateTruncating(beta), MemoryMarshal.Cast<T, float>(c), ldc);
    }

    private unsafe void SgemmF32(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        const string op = "Gemm";
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"{op}: negative size m={m} n={n} k={k}.");
        if (m == 0 || n == 0) return;
        // Stored shapes (row-major): A is m×k, or k×m when transposed; B is k×n, or n×k.
        CheckMatrix(op, "A", a.Length, transA ? k : m, transA ? m : k, lda);
        CheckMatrix(op, "B", b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckMatrix(op, "C", c.Length, m, n, ldc);
        if (k == 0)
        {
            // An empty product: C = beta·C (dnnl_sgemm rejects k = 0). beta = 0 overwrites, even NaN.
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0) row.Clear();
                else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            lock (Gate)
            {
                ThrowIfDisposed();
                DnnlNative.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
        }
    }

    /// <inheritdoc/>
    public override void BatchedGemm<T>(int batch, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> c, int strideC)
    {
        if (typeof(T) != typeof(float))
        {
            base.BatchedGemm(batch, transA, transB, m, n, k, a, strideA, b, strideB, c, strideC);
            return;
        }
        BatchedGemmF32(batch, transA, transB, m, n, k, MemoryMarshal.Cast<T, float>(a), strideA,
            MemoryMarshal.Cast<T, float>(b), strideB, MemoryMarshal.Cast<T, float>(c), strideC);
    }

    private unsafe void BatchedGemmF32(int batch, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int strideA, ReadOnlySpan<float> b, int strideB, Span<float> c, int strideC)
    {
        const string op = "BatchedGemm";
        if (batch < 0 || m < 0 || n < 0 || k < 0) throw new ArgumentException($"{op}: negative size batch={batch} m={m} n={n} k={k}.");
        if (strideA < 0 || strideB < 0 || strideC < 0) throw new ArgumentException($"{op}: negative batch stride.");
        if (batch == 0 || m == 0 || n == 0) return;
        long sizeA = (long)m * k, sizeB = (long)k * n, sizeC = (long)m * n;
        CheckLength(op, "A", a.Length, (strideA == 0 ? 0 : (long)(batch - 1) * strideA) + sizeA);
        CheckLength(op, "B", b.Length, (strideB == 0 ? 0 : (long)(batch - 1) * strideB) + sizeB);
        CheckLength(op, "C", c.Length, (long)(batch - 1) * strideC + sizeC);
        if (k == 0)
        {
            // Empty sums: C is zero (oneDNN rejects zero-sized reduction dims in matmul descriptors).
            for (int i = 0; i < batch; i++) c.Slice((int)((long)i * strideC), (int)sizeC).Clear();
            return;
        }
        bool regular = (strideA == 0 || strideA >= sizeA) && (strideB == 0 || strideB >= sizeB) && strideC >= sizeC;
        fixed (float* pa = a, pb = b, pc = c)
        {
            lock (Gate)
            {
                ThrowIfDisposed();
                if (batch == 1 || !regular)
                {
                    // One matrix (or overlapping batch strides, which a matmul descriptor cannot express): sgemm per batch,
                    // in order, as the managed kernel does.
                    for (int i = 0; i < batch; i++)
                        DnnlNative.Sgemm(transA, transB, m, n, k, 1f, pa + (long)i * strideA, transA ? m : k,
                            pb + (long)i * strideB, transB ? k : n, 0f, pc + (long)i * strideC, n);
                    return;
                }
                var plan = _matmulPlans.GetOrAdd(new MatmulKey(batch, transA, transB, m, n, k, strideA, strideB, strideC), BuildMatmulPlan);
                Run(plan, [(nint)pa, (nint)pb, (nint)pc]);
            }
        }
    }

    /// <summary>
    /// A matmul primitive over the caller's strided buffers (no reorders): src [Ba, m, k], weights [Bb, k, n],
    /// dst [batch, m, n]. A transposed operand is the same dims with swapped strides; a broadcast operand
    /// (stride 0) has batch dim 1, which is how oneDNN expresses broadcasting.
    /// </summary>
    private DnnlPlan BuildMatmulPlan(MatmulKey key)
    {
        var (batch, m, n, k) = (key.Batch, (long)key.M, (long)key.N, (long)key.K);
        var src = Strided(key.StrideA == 0 ? 1 : batch, m, k, key.StrideA == 0 ? m * k : key.StrideA, key.TransA);
        var wei = Strided(key.StrideB == 0 ? 1 : batch, k, n, key.StrideB == 0 ? k * n : key.StrideB, key.TransB);
        var dst = Strided(batch, m, n, key.StrideC, false);
        using var builder = NewBuilder();
        var desc = DnnlNative.MatmulDesc(src, wei, default, dst);
        nint pd = DnnlNative.PrimitiveDescCreate(desc, _attr, _engine);
        try
        {
            builder.Main(pd, (DnnlConst.ArgSrc, builder.User(src, 0)), (DnnlConst.ArgWeights, builder.User(wei, 1)), (DnnlConst.ArgDst, builder.User(dst, 2)));
            return builder.Build();
        }
        finally
        {
            DnnlNative.PrimitiveDescDestroy(pd);
        }
    }

    /// <summary>A [batch, rows, cols] descriptor; transposed means stored as cols×rows (column stride 1 ↔ row stride 1).</summary>
    private static DnnlMemoryDesc Strided(long batch, long rows, long cols, long batchStride, bool transposed)
        => DnnlNative.MemoryDescByStrides([batch, rows, cols], DnnlDataType.F32,
            transposed ? [batchStride, 1, rows] : [batchStride, cols, 1]);

    /// <summary>Checks that a rows×cols row-major matrix with row stride <paramref name="ld"/> fits the span.</summary>
    private static void CheckMatrix(string op, string what, int length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{op}: leading dimension of {what} is {ld}; its stored rows have {cols} elements.");
        if (rows > 0 && cols > 0) CheckLength(op, what, length, (long)(rows - 1) * ld + cols);
    }
}
