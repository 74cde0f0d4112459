using System.Numerics;
using Derain.Tensors.Kernels.Managed.Gemm;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Gemm: sizes must be non-negative (m={m}, n={n}, k={k}).");
        if (m == 0 || n == 0) return;
        // The packed loops read through pointers, so every access the sizes imply is checked here once.
        if (k > 0 && alpha != T.Zero)
        {
            CheckMatrix("A", a.Length, transA ? k : m, transA ? m : k, lda);
            CheckMatrix("B", b.Length, transB ? n : k, transB ? k : n, ldb);
        }
        CheckMatrix("C", c.Length, m, n, ldc);
        fixed (T* pa = a, pb = b, pc = c)
            ManagedGemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, KernelBackend.Threads);
    }

    /// <inheritdoc/>
    public virtual unsafe void BatchedGemm<T>(int batch, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> c, int strideC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batch < 0 || m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"BatchedGemm: sizes must be non-negative (batch={batch}, m={m}, n={n}, k={k}).");
        if (batch == 0 || m == 0 || n == 0) return;
        if (strideA < 0 || strideB < 0 || strideC < m * n)
            throw new ArgumentException($"BatchedGemm: strides ({strideA}, {strideB}, {strideC}) must be ≥ 0, and C's at least m·n = {m * n} so outputs do not overlap.");
        CheckBatch("A", a.Length, batch, strideA, (long)m * k);
        CheckBatch("B", b.Length, batch, strideB, (long)k * n);
        CheckBatch("C", c.Length, batch, strideC, (long)m * n);
        fixed (T* pa = a, pb = b, pc = c)
            ManagedGemm.RunBatched(batch, transA, transB, m, n, k, pa, strideA, pb, strideB, pc, strideC, KernelBackend.Threads);
    }

    private static void CheckMatrix(string name, int length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(cols, 1))
            throw new ArgumentException($"Gemm: leading dimension of {name} is {ld}; its stored rows have {cols} elements.");
        long needed = (long)(rows - 1) * ld + cols;
        if (rows > 0 && length < needed)
            throw new ArgumentException($"Gemm: {name} holds {length} elements; a {rows}×{cols} matrix with row stride {ld} needs {needed}.");
    }

    private static void CheckBatch(string name, int length, int batch, long stride, long matrix)
    {
        long needed = (batch - 1) * stride + matrix;
        if (length < needed)
            throw new ArgumentException($"BatchedGemm: {name} holds {length} elements; {batch} matrices of {matrix} at stride {stride} need {needed}.");
    }

    /// <summary>Parallel.For options that follow <see cref="KernelBackend.Threads"/>, for the kernels of every partial file.</summary>
    private static ParallelOptions ParallelOptions => KernelBackend.ParallelOptions;
}
