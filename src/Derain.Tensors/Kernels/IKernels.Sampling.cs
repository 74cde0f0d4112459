using System.Numerics;

namespace Derain.Tensors.Kernels;

public partial interface IKernels
{
    /// <summary>y = grid_sample(x, grid) per <see cref="GridSampleGeometry"/>; y is overwritten.</summary>
    void GridSample2dForward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Gradients of grid_sample w.r.t. x and grid from dy; each output is empty (not wanted) or full and overwritten.</summary>
    void GridSample2dBackward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dGrid)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = interpolate(x) per <see cref="InterpolateGeometry"/>; y is overwritten.</summary>
    void Interpolate2dForward<T>(InterpolateGeometry g, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dx = the adjoint of interpolate applied to dy; dx is overwritten.</summary>
    void Interpolate2dBackward<T>(InterpolateGeometry g, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>;
}
