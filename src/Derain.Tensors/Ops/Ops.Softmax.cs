using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.softmax(input, dim): exp(x − max) / Σ exp(x − max) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim) => SoftmaxOp(x, dim, log: false);

    /// <summary>torch.log_softmax(input, dim): (x − max) − log Σ exp(x − max) along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => SoftmaxOp(x, dim, log: true);

    private static Tensor SoftmaxOp(Tensor x, int dim, bool log)
    {
        string op = log ? "LogSoftmax" : "Softmax";
        x.ThrowIfDisposed();
        var (outer, size, inner) = ReduceAxes.Split(x.Shape, ReduceAxes.Normalize(op, x.Shape, dim));
        var y = Tensor.Empty(x.Shape, x.DType);
        var k = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
        {
            if (log) k.LogSoftmaxForward(outer, size, inner, x.Span<float>(), y.Span<float>());
            else k.SoftmaxForward(outer, size, inner, x.Span<float>(), y.Span<float>());
        }
        else
        {
            if (log) k.LogSoftmaxForward(outer, size, inner, x.Span<double>(), y.Span<double>());
            else k.SoftmaxForward(outer, size, inner, x.Span<double>(), y.Span<double>());
        }
        if (!GradNode.WillRecord(x)) return y;
        var node = new SoftmaxBackwardNode(op, outer, size, inner, log);
        node.Keep(y);
        return GradNode.Record(y, node, x);
    }

    /// <summary>Backward of softmax / log_softmax; both need only the output.</summary>
    private sealed class SoftmaxBackwardNode(string op, int outer, int size, int inner, bool log) : GradNode
    {
        private Tensor? _y;
        public override string Name => op + "Backward";
        public void Keep(Tensor y) => _y = Save(y);

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var y = _y!;
            var dx = Tensor.Empty(y.Shape, y.DType);
            var k = KernelBackend.For(y.DType);
            if (y.DType == DType.Float32)
            {
                if (log) k.LogSoftmaxBackward(outer, size, inner, y.Span<float>(), g.Span<float>(), dx.Span<float>());
                else k.SoftmaxBackward(outer, size, inner, y.Span<float>(), g.Span<float>(), dx.Span<float>());
            }
            else
            {
                if (log) k.LogSoftmaxBackward(outer, size, inner, y.Span<double>(), g.Span<double>(), dx.Span<double>());
                else k.SoftmaxBackward(outer, size, inner, y.Span<double>(), g.Span<double>(), dx.Span<double>());
            }
            return [dx];
        }
    }
}
