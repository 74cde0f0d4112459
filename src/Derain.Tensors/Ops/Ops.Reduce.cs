using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.sum(input): the sum of every element, as a 0-d tensor.</summary>
    public static Tensor Sum(Tensor x) => Reduce(ReduceKind.Sum, x, ReduceAxes.All(x.Shape), false);

    /// <summary>torch.sum(input, dim, keepdim)</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => Sum(x, [dim], keepDim);

    /// <summary>torch.sum(input, dims, keepdim) over several dimensions.</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) => Reduce(ReduceKind.Sum, x, ReduceAxes.Mask("Sum", x.Shape, dims), keepDim);

    /// <summary>torch.mean(input): the mean of every element, as a 0-d tensor (NaN for an empty tensor).</summary>
    public static Tensor Mean(Tensor x) => Reduce(ReduceKind.Mean, x, ReduceAxes.All(x.Shape), false);

    /// <summary>torch.mean(input, dim, keepdim)</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => Mean(x, [dim], keepDim);

    /// <summary>torch.mean(input, dims, keepdim) over several dimensions.</summary>
    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) => Reduce(ReduceKind.Mean, x, ReduceAxes.Mask("Mean", x.Shape, dims), keepDim);

    /// <summary>
    /// torch.max(input) / torch.amax(input): the largest element, as a 0-d tensor (NaN if any element is NaN).
    /// Gradient rule for ties (torch.amax's, also torch.max()'s without a dim): the gradient is split evenly
    /// among all elements equal to the maximum.
    /// </summary>
    public static Tensor Max(Tensor x) => Reduce(ReduceKind.Max, x, ReduceAxes.All(x.Shape), false);

    /// <summary>torch.amax(input, dim, keepdim): values only; ties share the gradient evenly (see <see cref="Max(Tensor)"/>).</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => Max(x, [dim], keepDim);

    /// <summary>torch.amax(input, dims, keepdim) over several dimensions; ties share the gradient evenly.</summary>
    public static Tensor Max(Tensor x, int[] dims, bool keepDim = false) => Reduce(ReduceKind.Max, x, ReduceAxes.Mask("Max", x.Shape, dims), keepDim);

    private enum ReduceKind { Sum, Mean, Max }

    private static Tensor Reduce(ReduceKind kind, Tensor x, bool[] mask, bool keepDim)
    {
        x.ThrowIfDisposed();
        var plan = ReducePlan.Create(x.Shape.Dims, mask);
        if (kind == ReduceKind.Max && plan.Count == 0)
            throw ShapeError("Max", $"cannot take the maximum over an empty dimension (input {x.Shape}).");
        var y = Tensor.Empty(ReduceAxes.Reduced(x.Shape, mask, keepDim), x.DType);
        if (x.DType == DType.Float32) ReduceForward(kind, plan, x.Span<float>(), y.Span<float>());
        else ReduceForward(kind, plan, x.Span<double>(), y.Span<double>());
        if (!GradNode.WillRecord(x)) return y;
        var node = new ReduceBackwardNode(kind, plan, x.Shape);
        if (kind == ReduceKind.Max) node.Keep(x, y);
        return GradNode.Record(y, node, x);
    }

    private static void ReduceForward<T>(ReduceKind kind, ReducePlan plan, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (kind == ReduceKind.Max) { ReduceKernels.Max(plan, x, y); return; }
        ReduceKernels.Sum(plan, x, y);
        if (kind == ReduceKind.Mean) TensorPrimitives.Divide(y, T.CreateTruncating(plan.Count), y);
    }

    /// <summary>Broadcasts a reduced tensor (any shape with the plan's output count) back to <paramref name="shape"/>, times <paramref name="scale"/>.</summary>
    private static Tensor ExpandReduced(ReducePlan plan, Tensor reduced, Shape shape, double scale)
    {
        var dx = Tensor.Empty(shape, reduced.DType);
        if (reduced.DType == DType.Float32) ReduceKernels.Expand(plan, reduced.Span<float>(), (float)scale, dx.Span<float>());
        else ReduceKernels.Expand(plan, reduced.Span<double>(), scale, dx.Span<double>());
        return dx;
    }

    private sealed class ReduceBackwardNode(ReduceKind kind, ReducePlan plan, Shape inputShape) : GradNode
    {
        private Tensor? _x, _y;
        public override string Name => kind + "Backward";

        public void Keep(Tensor x, Tensor y)
        {
            _x = Save(x);
            _y = Save(y);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            switch (kind)
            {
                case ReduceKind.Sum: return [ExpandReduced(plan, g, inputShape, 1.0)];
                case ReduceKind.Mean: return [ExpandReduced(plan, g, inputShape, 1.0 / plan.Count)];
                default:
                    var dx = Tensor.Empty(inputShape, g.DType);
                    if (g.DType == DType.Float32) ReduceKernels.MaxGrad(plan, _x!.Span<float>(), _y!.Span<float>(), g.Span<float>(), dx.Span<float>());
                    else ReduceKernels.MaxGrad(plan, _x!.Span<double>(), _y!.Span<double>(), g.Span<double>(), dx.Span<double>());
                    return [dx];
            }
        }
    }
}
