using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    // Transitional: the managed convolution kernels are being written (issue 2, conv group).
    public virtual void ConvForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
    public virtual void ConvBackwardData<T>(ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
    public virtual void ConvBackwardWeights<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
    public virtual void BatchedGemm<T>(int batch, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, Span<T> c, int strideC)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
}
