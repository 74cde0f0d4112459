using System.Numerics;

namespace Derain.Tensors.Kernels;

public partial interface IKernels
{
    /// <summary>
    /// y = deform_conv2d(x, offset, mask, w) + bias (torchvision.ops.deform_conv2d semantics; mask empty: DCNv1,
    /// bias empty: none). Shapes per <see cref="DeformConvGeometry"/>; y is overwritten.
    /// </summary>
    void DeformConv2dForward<T>(DeformConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> offset, ReadOnlySpan<T> mask,
        ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Gradients of deform_conv2d from dy. Each output span is either empty (not wanted) or full-sized and is
    /// overwritten: dx, dOffset, dMask (only with a mask), dw, dBias.
    /// </summary>
    void DeformConv2dBackward<T>(DeformConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> offset, ReadOnlySpan<T> mask,
        ReadOnlySpan<T> w, ReadOnlySpan<T> dy, Span<T> dx, Span<T> dOffset, Span<T> dMask, Span<T> dw, Span<T> dBias)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
