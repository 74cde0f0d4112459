using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps): normalises over the trailing
    /// dimensions <paramref name="normalizedShape"/> with their biased variance, then applies the optional
    /// element-wise weight and bias (both of shape <paramref name="normalizedShape"/>).
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        ArgumentNullException.ThrowIfNull(normalizedShape);
        x.ThrowIfDisposed();
        weight?.ThrowIfDisposed();
        bias?.ThrowIfDisposed();
        var norm = new Shape(normalizedShape);
        int k = norm.Rank;
        if (k == 0 || k > x.Rank)
            throw ShapeError(op, $"normalized_shape {norm} must name 1 to {x.Rank} trailing dimensions of input {x.Shape}.");
        for (int i = 0; i < k; i++)
            if (x.Shape[x.Rank - k + i] != norm[i])
                throw ShapeError(op, $"input {x.Shape} does not end with normalized_shape {norm}.");
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            CheckSameDType(op, x, t);
            if (t.Shape != norm) throw ShapeError(op, $"{what} has shape {t.Shape}; expected normalized_shape {norm} (input {x.Shape}).");
        }
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: eps must be ≥ 0; got {eps}.");

        int cols = norm.NumElements, rows = x.Shape.Product(0, x.Rank - k);
        var y = Tensor.Empty(x.Shape, x.DType);
        var mean = Tensor.Empty(new Shape(rows), x.DType);
        var rstd = Tensor.Empty(new Shape(rows), x.DType);
        var kern = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
            kern.LayerNormForward(rows, cols, x.Span<float>(), SpanOrEmpty<float>(weight), SpanOrEmpty<float>(bias), (float)eps,
                y.Span<float>(), mean.Span<float>(), rstd.Span<float>());
        else
            kern.LayerNormForward(rows, cols, x.Span<double>(), SpanOrEmpty<double>(weight), SpanOrEmpty<double>(bias), eps,
                y.Span<double>(), mean.Span<double>(), rstd.Span<double>());

        if (GradNode.WillRecord(x, weight, bias))
        {
            var node = new LayerNormBackwardNode(rows, cols);
            node.Keep(x, weight, mean, rstd);
            GradNode.Record(y, node, x, weight, bias);
        }
        mean.Dispose();
        rstd.Dispose();
        return y;
    }

    private sealed class LayerNormBackwardNode(int rows, int cols) : GradNode
    {
        private Tensor? _x, _w, _mean, _rstd;
        public override string Name => "LayerNormBackward";

        public void Keep(Tensor x, Tensor? weight, Tensor mean, Tensor rstd)
        {
            _x = Save(x);
            if (weight is not null) _w = Save(weight);
            _mean = Save(mean);
            _rstd = Save(rstd);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var x = _x!;
            var dx = NeedsGrad(0) ? Tensor.Empty(x.Shape, x.DType) : null;
            var dw = NeedsGrad(1) ? Tensor.Empty(Inputs[1]!.Shape, x.DType) : null;
            var db = NeedsGrad(2) ? Tensor.Empty(Inputs[2]!.Shape, x.DType) : null;
            var k = KernelBackend.For(x.DType);
            if (x.DType == DType.Float32)
                k.LayerNormBackward(rows, cols, x.Span<float>(), g.Span<float>(), SpanOrEmpty<float>(_w), _mean!.Span<float>(), _rstd!.Span<float>(),
                    SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dw), SpanOrEmpty<float>(db));
            else
                k.LayerNormBackward(rows, cols, x.Span<double>(), g.Span<double>(), SpanOrEmpty<double>(_w), _mean!.Span<double>(), _rstd!.Span<double>(),
                    SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dw), SpanOrEmpty<double>(db));
            return [dx, dw, db];
        }
    }
}
