using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// conv2d(cat(<paramref name="parts"/>, dim 1), <paramref name="weight"/>, <paramref name="bias"/>, stride 1,
    /// <paramref name="padding"/>) without materialising the concatenation: a convolution is linear in its input
    /// channels, so with the weight split along its input channels into W₀, W₁, … (one slice per part) the result is
    /// conv(p₀, W₀, b) + conv(p₁, W₁) + …. Parts are [N, Cᵢ, H, W] with ΣCᵢ = the weight's input channels; weight
    /// [Cout, ΣCᵢ, kh, kw], ungrouped, undilated.
    /// <para>
    /// Why: a U-Net decoder's first convolution after each skip connection (MGID's <c>torch.cat((skip, up), 1)</c>)
    /// reads a concatenation that exists only for it, yet the recorded convolution keeps that input for its weight
    /// gradient until the backward pass — a full copy of the skip and the upsampled features, and in backward the
    /// concatenation's gradient plus its two slices. Here the backward pass reads the parts themselves, which the
    /// network keeps anyway (the skip for the encoder's pooling backward, the upsampled features for their BatchNorm +
    /// ReLU backward), and returns each part's gradient directly. MGID's training step (8 pairs at 256²): peak resident
    /// 6.0 → 4.8 GB (docs/mgid.md, Benchmark).
    /// </para>
    /// <para>
    /// Values: the same products as the concatenated convolution, summed in another order (the parts' partial sums
    /// are added at the end), so float32 results differ by rounding only; gradients: each part's input gradient is
    /// the backward-data pass with its weight slice, the weight gradient the parts' backward-weights passes side by
    /// side, the bias gradient once.
    /// </para>
    /// </summary>
    public static Tensor Conv2dConcat(IReadOnlyList<Tensor> parts, Tensor weight, Tensor? bias = null, ConvPadding padding = default)
    {
        const string op = "Conv2dConcat";
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw ShapeError(op, "needs at least one input part.");
        weight.ThrowIfDisposed();
        if (weight.Rank != 4)
            throw ShapeError(op, $"weight must be [Cout, Cin, kh, kw]; got {weight.Shape}.");
        var first = parts[0];
        int total = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            p.ThrowIfDisposed();
            CheckSameDType(op, first, p);
            if (p.Rank != 4 || p.Shape[0] != first.Shape[0] || p.Shape[2] != first.Shape[2] || p.Shape[3] != first.Shape[3])
                throw ShapeError(op, $"parts must be [N, Cᵢ, H, W] with equal N, H and W; got {string.Join(", ", parts.Select(t => t.Shape.ToString()))}.");
            total += p.Shape[1];
        }
        if (total != weight.Shape[1])
            throw ShapeError(op, $"weight {weight.Shape} expects {weight.Shape[1]} input channels; the parts ({string.Join(", ", parts.Select(t => t.Shape.ToString()))}) have {total} together.");

        // Each part's weight slice [Cout, Cᵢ, kh, kw], contiguous (the kernels take dense weights).
        var slices = new Tensor[parts.Count];
        var geometries = new ConvGeometry[parts.Count];
        int cout = weight.Shape[0], kernelPlane = weight.Shape[2] * weight.Shape[3];
        for (int i = 0, start = 0; i < parts.Count; start += parts[i].Shape[1], i++)
        {
            int c = parts[i].Shape[1];
            slices[i] = Tensor.Empty(new Shape(cout, c, weight.Shape[2], weight.Shape[3]), weight.DType);
            if (weight.DType == DType.Float32) NarrowCopy(weight.Span<float>(), slices[i].Span<float>(), cout, total, start, c, kernelPlane);
            else NarrowCopy(weight.Span<double>(), slices[i].Span<double>(), cout, total, start, c, kernelPlane);
            geometries[i] = ConvGeometryFor(op, 2, parts[i], slices[i], i == 0 ? bias : null, [1, 1], padding, [1, 1], 1);
        }

        var g0 = geometries[0];
        var y = Tensor.Empty(new Shape([g0.N, g0.OutChannels, .. g0.OutSize]), first.DType);
        RunConvForward(g0, first, slices[0], bias, y);
        for (int i = 1; i < parts.Count; i++)
        {
            using var partial = Tensor.Empty(y.Shape, y.DType);
            RunConvForward(geometries[i], parts[i], slices[i], null, partial);
            AddInto(partial, y);
        }

        Tensor?[] inputs = [.. parts, weight, bias];
        if (!GradNode.WillRecord(inputs))
        {
            foreach (var s in slices) s.Dispose();
            return y;
        }
        var node = new ConvConcatBackward(geometries, weight.Shape);
        node.Setup(parts, slices, weight.RequiresGrad);
        foreach (var s in slices) s.Dispose(); // the node keeps its own aliases of the slices it needs
        return GradNode.Record(y, node, inputs);
    }

    /// <summary>y += x elementwise (same shape): the blocked, multi-threaded kernel of <see cref="Add(Tensor, Tensor)"/>, writing into y.</summary>
    private static void AddInto(Tensor x, Tensor y)
    {
        if (y.DType == DType.Float32) ElementwiseKernel<float, AddOp>(x.Span<float>(), y.Span<float>(), y.Span<float>());
        else ElementwiseKernel<double, AddOp>(x.Span<double>(), y.Span<double>(), y.Span<double>());
    }

    /// <summary>
    /// Gradients of <see cref="Conv2dConcat"/>: per part, dxᵢ = backward data of dy with Wᵢ; dW = [dW₀ | dW₁ | …] along
    /// the input channels, each the backward-weights pass of its part; db once (with part 0's pass, or summed when no
    /// weight gradient is needed).
    /// </summary>
    private sealed class ConvConcatBackward(ConvGeometry[] geometries, Shape weightShape) : GradNode
    {
        private Tensor[]? _parts, _slices;

        public override string Name => "Conv2dConcatBackward";

        internal override string ProfileKey => geometries[0].ProfileLabel(Name) + $" ×{geometries.Length} parts";

        public void Setup(IReadOnlyList<Tensor> parts, Tensor[] slices, bool weightNeedsGrad)
        {
            if (weightNeedsGrad) _parts = [.. parts.Select(Save)];
            if (parts.Any(p => p.RequiresGrad)) _slices = [.. slices.Select(Save)];
        }

        protected internal override Tensor?[] Backward(Tensor gy)
        {
            int n = geometries.Length;
            var grads = new Tensor?[n + 2];
            for (int i = 0; i < n; i++)
            {
                if (!NeedsGrad(i)) continue;
                var g = geometries[i];
                var dx = Tensor.Empty(new Shape([g.N, g.InChannels, .. g.InSize]), gy.DType);
                RunConvBackwardData(g, gy, _slices![i], dx);
                grads[i] = dx;
            }
            Tensor? db = NeedsGrad(n + 1) ? Tensor.Empty(new Shape(geometries[0].OutChannels), gy.DType) : null;
            if (NeedsGrad(n))
            {
                var dw = Tensor.Empty(weightShape, gy.DType);
                int cout = weightShape[0], total = weightShape[1], kernelPlane = weightShape[2] * weightShape[3];
                for (int i = 0, start = 0; i < n; start += geometries[i].InChannels, i++)
                {
                    var g = geometries[i];
                    using var part = Tensor.Empty(new Shape(cout, g.InChannels, weightShape[2], weightShape[3]), gy.DType);
                    RunConvBackwardWeights(g, _parts![i], gy, part, i == 0 ? db : null);
                    if (gy.DType == DType.Float32) NarrowScatter(part.Span<float>(), dw.Span<float>(), cout, total, start, g.InChannels, kernelPlane);
                    else NarrowScatter(part.Span<double>(), dw.Span<double>(), cout, total, start, g.InChannels, kernelPlane);
                }
                grads[n] = dw;
            }
            else if (db is not null)
            {
                SumPerChannel(gy, db);
            }
            grads[n + 1] = db;
            return grads;
        }
    }
}
