using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    public virtual void ConvForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
    public virtual void ConvBackwardData<T>(ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
    public virtual void ConvBackwardWeights<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
}
