using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.var(input, unbiased): variance of every element (divides by n − 1 when unbiased, by n otherwise).</summary>
    public static Tensor Var(Tensor x, bool unbiased = true) => VarOp(x, ReduceAxes.All(x.Shape), unbiased, false);

    /// <summary>torch.var(input, dim, unbiased, keepdim)</summary>
    public static Tensor Var(Tensor x, int dim, bool unbiased = true, bool keepDim = false) => Var(x, [dim], unbiased, keepDim);

    /// <summary>
    /// torch.var(input, dims, unbiased, keepdim): two-pass variance (mean first, then squared deviations). With
    /// unbiased and a single element per output the result is NaN (0/0), as in torch.
    /// </summary>
    public static Tensor Var(Tensor x, int[] dims, bool unbiased = true, bool keepDim = false)
        => VarOp(x, ReduceAxes.Mask("Var", x.Shape, dims), unbiased, keepDim);

    private static Tensor VarOp(Tensor x, bool[] mask, bool unbiased, bool keepDim)
    {
        x.ThrowIfDisposed();
        var plan = ReducePlan.Create(x.Shape.Dims, mask);
        double divisor = plan.Count - (unbiased ? 1 : 0);
        Tensor mean, deviation, y;
        using (GradMode.NoGrad())
        {
            mean = Tensor.Empty(ReduceAxes.Reduced(x.Shape, mask, keepDim: true), x.DType);
            y = Tensor.Empty(ReduceAxes.Reduced(x.Shape, mask, keepDim), x.DType);
            using var squares = Tensor.Empty(x.Shape, x.DType);
            if (x.DType == DType.Float32) VarMean(plan, x.Span<float>(), mean.Span<float>());
            else VarMean(plan, x.Span<double>(), mean.Span<double>());
            deviation = Sub(x, mean);
            if (x.DType == DType.Float32) VarFinish(plan, deviation.Span<float>(), squares.Span<float>(), y.Span<float>(), (float)divisor);
            else VarFinish(plan, deviation.Span<double>(), squares.Span<double>(), y.Span<double>(), divisor);
        }
        mean.Dispose();
        if (GradNode.WillRecord(x))
        {
            var node = new VarBackwardNode(plan, divisor);
            node.Keep(deviation);
            GradNode.Record(y, node, x);
        }
        deviation.Dispose();
        return y;
    }

    private static void VarMean<T>(ReducePlan plan, ReadOnlySpan<T> x, Span<T> mean) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ReduceKernels.Sum(plan, x, mean);
        TensorPrimitives.Divide(mean, T.CreateTruncating(plan.Count), mean);
    }

    private static void VarFinish<T>(ReducePlan plan, ReadOnlySpan<T> deviation, Span<T> squares, Span<T> y, T divisor)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(deviation, deviation, squares);
        ReduceKernels.Sum(plan, squares, y);
        TensorPrimitives.Divide(y, divisor, y);
    }

    /// <summary>d var / dx = 2·(x − mean)/divisor (the mean's own dependence on x cancels).</summary>
    private sealed class VarBackwardNode(ReducePlan plan, double divisor) : GradNode
    {
        private Tensor? _deviation;
        public override string Name => "VarBackward";
        public void Keep(Tensor deviation) => _deviation = Save(deviation);

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var d = _deviation!;
            var dx = ExpandReduced(plan, g, d.Shape, 2.0 / divisor);
            if (d.DType == DType.Float32) TensorPrimitives.Multiply(dx.Span<float>(), d.Span<float>(), dx.Span<float>());
            else TensorPrimitives.Multiply(dx.Span<double>(), d.Span<double>(), dx.Span<double>());
            return [dx];
        }
    }
}
