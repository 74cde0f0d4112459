using System.Numerics;

namespace Derain.Tensors.Kernels;

/// <summary>
/// The compute kernels every backend provides. Kernels work on contiguous row-major spans and plain sizes;
/// they know nothing of autograd. The managed backend (<see cref="Managed.ManagedKernels"/>) implements all
/// of them for float and double; the oneDNN backend overrides the float32 paths where it measures faster and
/// delegates the rest. Each op group declares its kernels in its own file of this partial interface.
/// </summary>
public partial interface IKernels
{
    /// <summary>Backend name shown in notices and benchmark output.</summary>
    string Name { get; }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C, row-major (BLAS sgemm/dgemm semantics with row-major storage).
    /// op(A) is m×k, op(B) is k×n; lda/ldb/ldc are row strides of the stored matrices. With beta = 0, C is
    /// overwritten even if it held NaN.
    /// </summary>
    void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
