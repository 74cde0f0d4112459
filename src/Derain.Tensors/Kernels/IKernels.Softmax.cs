using System.Numerics;

namespace Derain.Tensors.Kernels;

public partial interface IKernels
{
    /// <summary>
    /// torch.softmax over the middle axis of x viewed as [outer, dim, inner] (inner = 1: over contiguous
    /// rows). Subtracts the maximum first, so large inputs do not overflow. y is overwritten.
    /// </summary>
    void SoftmaxForward<T>(int outer, int dim, int inner, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Softmax backward from its output: dx = y ⊙ (dy − Σ_dim dy ⊙ y). dx is overwritten.</summary>
    void SoftmaxBackward<T>(int outer, int dim, int inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>torch.log_softmax over the middle axis of [outer, dim, inner]: y = (x − max) − log Σ exp(x − max).</summary>
    void LogSoftmaxForward<T>(int outer, int dim, int inner, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Log-softmax backward from its output: dx = dy − exp(y) · Σ_dim dy. dx is overwritten.</summary>
    void LogSoftmaxBackward<T>(int outer, int dim, int inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
