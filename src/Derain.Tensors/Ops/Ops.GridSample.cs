using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.grid_sample(input, grid, mode, padding_mode, align_corners) for 4-D input
    /// [N, C, H, W] and grid [N, Ho, Wo, 2] of normalised (x, y) positions (−1 = left/top, +1 = right/bottom;
    /// with align_corners these are the centres of the edge pixels, otherwise their outer edges). Returns
    /// [N, C, Ho, Wo]. Differentiable w.r.t. input and grid (the grid gradient is zero for nearest mode).
    /// PyTorch's default is align_corners=False.
    /// </summary>
    public static Tensor GridSample(Tensor input, Tensor grid, GridSampleMode mode = GridSampleMode.Bilinear,
        GridSamplePadding padding = GridSamplePadding.Zeros, bool alignCorners = false)
    {
        const string op = "GridSample";
        input.ThrowIfDisposed();
        grid.ThrowIfDisposed();
        CheckSameDType(op, input, grid);
        if (input.Rank != 4 || grid.Rank != 4 || grid.Size(3) != 2 || grid.Size(0) != input.Size(0))
            throw ShapeError(op, $"input must be [N, C, H, W] and grid [N, Ho, Wo, 2] with the same N; got input {input.Shape} and grid {grid.Shape}.");
        if (input.Size(2) < 1 || input.Size(3) < 1)
            throw ShapeError(op, $"input {input.Shape} has an empty spatial size.");
        var g = new GridSampleGeometry(input.Size(0), input.Size(1), input.Size(2), input.Size(3), grid.Size(1), grid.Size(2),
            mode, padding, alignCorners);
        var y = Tensor.Empty(new Shape(g.N, g.Channels, g.OutH, g.OutW), input.DType);
        if (input.DType == DType.Float32)
            KernelBackend.For<float>().GridSample2dForward(g, input.Span<float>(), grid.Span<float>(), y.Span<float>());
        else
            KernelBackend.For<double>().GridSample2dForward(g, input.Span<double>(), grid.Span<double>(), y.Span<double>());
        if (!GradNode.WillRecord(input, grid)) return y;
        return GradNode.Record(y, new GridSampleBackward(g, input, grid), input, grid);
    }

    private sealed class GridSampleBackward : GradNode
    {
        private readonly GridSampleGeometry _g;
        private readonly Tensor _input, _grid;

        public GridSampleBackward(GridSampleGeometry g, Tensor input, Tensor grid)
        {
            _g = g;
            _input = Save(input);
            _grid = Save(grid);
        }

        protected internal override Tensor?[] Backward(Tensor gradOutput)
        {
            var dt = _input.DType;
            Tensor? dx = NeedsGrad(0) ? Tensor.Empty(_input.Shape, dt) : null;
            Tensor? dGrid = NeedsGrad(1) ? Tensor.Empty(_grid.Shape, dt) : null;
            if (dt == DType.Float32)
                KernelBackend.For<float>().GridSample2dBackward(_g, _input.Span<float>(), _grid.Span<float>(), gradOutput.Span<float>(),
                    SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dGrid));
            else
                KernelBackend.For<double>().GridSample2dBackward(_g, _input.Span<double>(), _grid.Span<double>(), gradOutput.Span<double>(),
                    SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dGrid));
            return [dx, dGrid];
        }
    }
}
