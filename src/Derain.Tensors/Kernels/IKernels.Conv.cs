using System.Numerics;

namespace Derain.Tensors.Kernels;

public partial interface IKernels
{
    /// <summary>y = conv(x, w) + bias (bias empty: none). Shapes per <see cref="ConvGeometry"/>; y is overwritten.</summary>
    void ConvForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = max(conv(x, w) + bias, 0): <see cref="ConvForward"/> with a ReLU applied to its output (inference only: no backward).</summary>
    void ConvReluForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Consecutive forward convolutions (inference only): stage k reads stage k−1's output (stage 0 reads x) and
    /// ends in a ReLU where <paramref name="relu"/>[k]; y is the last stage's output. <paramref name="parameters"/> holds,
    /// stage after stage, the weights and then, where <paramref name="hasBias"/>[k], the bias. A backend may keep the
    /// intermediate outputs in its own layout.
    /// </summary>
    void ConvChainForward<T>(ReadOnlySpan<ConvGeometry> stages, ReadOnlySpan<bool> relu, ReadOnlySpan<bool> hasBias, ReadOnlySpan<T> parameters,
        ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dx = the adjoint of conv(·, w) applied to dy (also the forward of a transposed conv); dx is overwritten.</summary>
    void ConvBackwardData<T>(ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dw (and dbias, unless empty) from x and dy; both are overwritten.</summary>
    void ConvBackwardWeights<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
