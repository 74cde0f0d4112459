using System.Numerics;

namespace Derain.Tensors.Kernels;

public partial interface IKernels
{
    /// <summary>
    /// For each b in [0, batch): C_b = op(A_b)·op(B_b), row-major, dense (lda = k or m, ldb = n or k, ldc = n
    /// per op). A_b starts at b·strideA (0 broadcasts one matrix to every batch), likewise B_b and C_b.
    /// C is overwritten.
    /// </summary>
    void BatchedGemm<T>(int batch, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> c, int strideC)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
