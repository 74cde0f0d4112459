using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torchvision.ops.deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask): modulated
    /// deformable convolution (DCNv2, as mmcv's ModulatedDeformConv2d; DCNv1 when <paramref name="mask"/> is null).
    /// input [N, Cin, H, W]; offset [N, 2·dg·kh·kw, Ho, Wo] with, per deform group and kernel point
    /// k = i·kw + j, the pair (dy, dx) at channels 2·(g·kh·kw + k) and 2·(g·kh·kw + k) + 1; mask
    /// [N, dg·kh·kw, Ho, Wo]; weight [Cout, Cin/groups, kh, kw]; bias [Cout]. The deform-group count dg is
    /// inferred from the offset. Kernel point (i, j) of output pixel (ho, wo) reads input position
    /// (ho·stride − pad + i·dilation + dy, wo·stride − pad + j·dilation + dx) bilinearly, with zeros outside the
    /// image, times the mask. Differentiable w.r.t. every tensor argument.
    /// </summary>
    public static Tensor DeformConv2d(Tensor input, Tensor offset, Tensor weight, Tensor? bias = null, Tensor? mask = null,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => DeformConv2d(input, offset, weight, bias, mask, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>torchvision.ops.deform_conv2d with per-axis (H, W) stride, padding and dilation; see the overload above.</summary>
    public static Tensor DeformConv2d(Tensor input, Tensor offset, Tensor weight, Tensor? bias, Tensor? mask,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        const string op = "DeformConv2d";
        foreach (var t in new[] { input, offset, weight, bias, mask })
        {
            if (t is null) continue;
            t.ThrowIfDisposed();
            CheckSameDType(op, input, t);
        }
        var g = DeformConvGeometry.Create(op, input.Shape, offset.Shape, mask?.Shape, weight.Shape, stride, padding, dilation, groups);
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != g.OutChannels))
            throw ShapeError(op, $"bias must be [{g.OutChannels}] for weight {weight.Shape}; got {bias.Shape}.");
        var y = Tensor.Empty(new Shape(g.N, g.OutChannels, g.OutH, g.OutW), input.DType);
        if (input.DType == DType.Float32)
            KernelBackend.For<float>().DeformConv2dForward(g, input.Span<float>(), offset.Span<float>(), SpanOrEmpty<float>(mask),
                weight.Span<float>(), SpanOrEmpty<float>(bias), y.Span<float>());
        else
            KernelBackend.For<double>().DeformConv2dForward(g, input.Span<double>(), offset.Span<double>(), SpanOrEmpty<double>(mask),
                weight.Span<double>(), SpanOrEmpty<double>(bias), y.Span<double>());
        if (!GradNode.WillRecord(input, offset, weight, bias, mask)) return y;
        return GradNode.Record(y, new DeformConv2dBackward(g, input, offset, weight, mask), input, offset, weight, bias, mask);
    }


    /// <summary>Gradients w.r.t. input, offset, weight, bias and mask (the order of the op's inputs).</summary>
    private sealed class DeformConv2dBackward : GradNode
    {
        private readonly DeformConvGeometry _g;
        private readonly Tensor _input, _offset, _weight;
        private readonly Tensor? _mask;

        public DeformConv2dBackward(DeformConvGeometry g, Tensor input, Tensor offset, Tensor weight, Tensor? mask)
        {
            _g = g;
            _input = Save(input);
            _offset = Save(offset);
            _weight = Save(weight);
            _mask = mask is null ? null : Save(mask);
        }

        protected internal override Tensor?[] Backward(Tensor gradOutput)
        {
            var dt = _input.DType;
            Tensor? Grad(int i, Tensor? like) => NeedsGrad(i) && like is not null ? Tensor.Empty(like.Shape, dt) : null;
            Tensor? dx = Grad(0, _input), dOff = Grad(1, _offset), dw = Grad(2, _weight);
            Tensor? db = NeedsGrad(3) ? Tensor.Empty(new Shape(_g.OutChannels), dt) : null;
            Tensor? dm = Grad(4, _mask);
            if (dt == DType.Float32)
                KernelBackend.For<float>().DeformConv2dBackward(_g, _input.Span<float>(), _offset.Span<float>(), SpanOrEmpty<float>(_mask),
                    _weight.Span<float>(), gradOutput.Span<float>(), SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dOff),
                    SpanOrEmpty<float>(dm), SpanOrEmpty<float>(dw), SpanOrEmpty<float>(db));
            else
                KernelBackend.For<double>().DeformConv2dBackward(_g, _input.Span<double>(), _offset.Span<double>(), SpanOrEmpty<double>(_mask),
                    _weight.Span<double>(), gradOutput.Span<double>(), SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dOff),
                    SpanOrEmpty<double>(dm), SpanOrEmpty<double>(dw), SpanOrEmpty<double>(db));
            return [dx, dOff, dw, db, dm];
        }
    }
}
