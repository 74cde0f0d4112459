using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        // Normalise to op(A) = A (m×k, row stride lda) and op(B) = B (k×n, row stride ldb) by copying
        // transposed operands: simple and cache friendly for the row-by-row axpy loop below.
        T[]? aT = null, bT = null;
        if (transA) { aT = Transpose(a, k, m, lda); a = aT; lda = k; }
        if (transB) { bT = Transpose(b, n, k, ldb); b = bT; ldb = n; }

        var aArr = a.ToArray();
        var bArr = b.ToArray();
        var cArr = new T[m * n];
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).CopyTo(cArr.AsSpan(i * n, n));
        int ldaL = lda, ldbL = ldb;
        Parallel.For(0, m, ParallelOptions, i =>
        {
            var row = cArr.AsSpan(i * n, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) TensorPrimitives.Multiply(row, beta, row);
            for (int p = 0; p < k; p++)
            {
                T s = alpha * aArr[i * ldaL + p];
                if (s == T.Zero) continue;
                TensorPrimitives.MultiplyAdd(bArr.AsSpan(p * ldbL, n), s, row, row);
            }
        });
        for (int i = 0; i < m; i++) cArr.AsSpan(i * n, n).CopyTo(c.Slice(i * ldc, n));
    }

    /// <summary>Copies a rows×cols matrix (row stride ld) transposed into a dense cols×rows array.</summary>
    private static T[] Transpose<T>(ReadOnlySpan<T> src, int rows, int cols, int ld)
    {
        var dst = new T[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++)
                dst[q * rows + r] = src[r * ld + q];
        return dst;
    }

    private static ParallelOptions ParallelOptions => KernelBackend.ParallelOptions;
}
