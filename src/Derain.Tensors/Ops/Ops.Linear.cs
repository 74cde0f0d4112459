using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.linear: y = x·Wᵀ + b for x [..., in], weight [out, in], optional bias [out];
    /// y is [..., out]. All leading dimensions of x form the rows of one GEMM.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        const string op = "Linear";
        x.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        bias?.ThrowIfDisposed();
        CheckSameDType(op, x, weight);
        if (bias is not null) CheckSameDType(op, x, bias);
        if (weight.Rank != 2 || x.Rank < 1 || x.Shape[-1] != weight.Shape[1])
            throw ShapeError(op, $"input [..., in] and weight [out, in] must agree on in; got input {x.Shape} and weight {weight.Shape}.");
        int inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw ShapeError(op, $"bias must be [{outFeatures}] for weight {weight.Shape}; got {bias.Shape}.");
        int rows = x.Shape.Product(0, x.Rank - 1);
        var y = Tensor.Empty(x.Shape.With(-1, outFeatures), x.DType);
        double beta = 0;
        if (bias is not null)
        {
            // Start from the bias in every row and let the GEMM accumulate onto it.
            if (x.DType == DType.Float32) FillRows(y.Span<float>(), bias.Span<float>());
            else FillRows(y.Span<double>(), bias.Span<double>());
            beta = 1;
        }
        RunGemm(false, true, rows, outFeatures, inFeatures, x, inFeatures, weight, inFeatures, beta, y, outFeatures);
        if (!GradNode.WillRecord(x, weight, bias)) return y;
        var node = new LinearBackward(rows, inFeatures, outFeatures);
        node.Setup(x, weight);
        return GradNode.Record(y, node, x, weight, bias);
    }

    private static void FillRows<T>(Span<T> y, ReadOnlySpan<T> row)
    {
        for (int i = 0; i < y.Length; i += row.Length) row.CopyTo(y.Slice(i, row.Length));
    }

    /// <summary>For y = x·Wᵀ + b with x as [rows, in]: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.</summary>
    private sealed class LinearBackward(int rows, int inFeatures, int outFeatures) : GradNode
    {
        private Tensor? _x, _w;

        public void Setup(Tensor x, Tensor w)
        {
            if (w.RequiresGrad) _x = Save(x);
            if (x.RequiresGrad) _w = Save(w);
        }

        protected internal override Tensor?[] Backward(Tensor gy)
        {
            Tensor? dx = null, dw = null, db = null;
            if (NeedsGrad(0))
            {
                dx = Tensor.Empty(Inputs[0]!.Shape, gy.DType);
                RunGemm(false, false, rows, inFeatures, outFeatures, gy, outFeatures, _w!, inFeatures, 0, dx, inFeatures);
            }
            if (NeedsGrad(1))
            {
                dw = Tensor.Empty(new Shape(outFeatures, inFeatures), gy.DType);
                RunGemm(true, false, outFeatures, inFeatures, rows, gy, outFeatures, _x!, inFeatures, 0, dw, inFeatures);
            }
            if (NeedsGrad(2))
            {
                db = Tensor.Zeros(new Shape(outFeatures), gy.DType);
                if (gy.DType == DType.Float32) SumRows(gy.Span<float>(), db.Span<float>());
                else SumRows(gy.Span<double>(), db.Span<double>());
            }
            return [dx, dw, db];
        }
    }

    private static void SumRows<T>(ReadOnlySpan<T> g, Span<T> sum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < g.Length; i += sum.Length) TensorPrimitives.Add(sum, g.Slice(i, sum.Length), sum);
    }
}
