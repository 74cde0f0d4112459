using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Normalises x [N, C, …] with given statistics and applies the optional per-channel affine. Takes ownership
    /// of <paramref name="mean"/> and <paramref name="invStd"/>: [C], or [N·C] with <paramref name="perInstance"/>
    /// (instance norm, where each plane has its own statistics). <paramref name="batchStatistics"/> says whether
    /// they were computed from x, which the backward pass must then differentiate through. <paramref name="relu"/>
    /// fuses a ReLU on the output (batch norm only).
    /// </summary>
    private static Tensor ChannelNormFromStatistics(string op, Tensor x, int n, int channels, int inner, Tensor mean, Tensor invStd,
        Tensor? weight, Tensor? bias, bool batchStatistics, bool perInstance = false, bool relu = false)
    {
        // Kernel layout: instance norm treats every (sample, channel) plane as a channel of one sample.
        int kn = perInstance ? 1 : n, kc = perInstance ? n * channels : channels;
        var w = perInstance && weight is not null ? RepeatChannels(weight, n) : weight;
        var b = perInstance && bias is not null ? RepeatChannels(bias, n) : bias;
        var y = Tensor.Empty(x.Shape, x.DType);
        var k = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
        {
            if (relu) k.BatchNormReluForward(kn, kc, inner, x.Span<float>(), mean.Span<float>(), invStd.Span<float>(), SpanOrEmpty<float>(w), SpanOrEmpty<float>(b), y.Span<float>());
            else k.BatchNormForward(kn, kc, inner, x.Span<float>(), mean.Span<float>(), invStd.Span<float>(), SpanOrEmpty<float>(w), SpanOrEmpty<float>(b), y.Span<float>());
        }
        else
        {
            if (relu) k.BatchNormReluForward(kn, kc, inner, x.Span<double>(), mean.Span<double>(), invStd.Span<double>(), SpanOrEmpty<double>(w), SpanOrEmpty<double>(b), y.Span<double>());
            else k.BatchNormForward(kn, kc, inner, x.Span<double>(), mean.Span<double>(), invStd.Span<double>(), SpanOrEmpty<double>(w), SpanOrEmpty<double>(b), y.Span<double>());
        }

        if (GradNode.WillRecord(x, weight, bias))
        {
            var node = new ChannelNormBackwardNode(op, kn, kc, inner, batchStatistics, perInstance ? n : 1);
            node.Keep(x, mean, invStd, w, relu, b);
            GradNode.Record(y, node, x, weight, bias);
        }
        mean.Dispose();
        invStd.Dispose();
        if (!ReferenceEquals(w, weight)) w?.Dispose();
        if (!ReferenceEquals(b, bias)) b?.Dispose();
        return y;
    }

    /// <summary>[C] repeated <paramref name="times"/> times into [times·C].</summary>
    private static Tensor RepeatChannels(Tensor t, int times)
    {
        int c = t.NumElements;
        var r = Tensor.Empty(new Shape(times * c), t.DType);
        for (int i = 0; i < times; i++)
        {
            if (t.DType == DType.Float32) t.Span<float>().CopyTo(r.Span<float>().Slice(i * c, c));
            else t.Span<double>().CopyTo(r.Span<double>().Slice(i * c, c));
        }
        return r;
    }

    /// <summary>Sums [times·C] into [C] (the adjoint of <see cref="RepeatChannels"/>).</summary>
    private static Tensor FoldChannels(Tensor t, int times, Shape target)
    {
        int c = target.NumElements;
        var r = Tensor.Zeros(target, t.DType);
        for (int i = 0; i < times; i++)
        {
            if (t.DType == DType.Float32)
            {
                var src = t.Span<float>().Slice(i * c, c); var dst = r.Span<float>();
                for (int j = 0; j < c; j++) dst[j] += src[j];
            }
            else
            {
                var src = t.Span<double>().Slice(i * c, c); var dst = r.Span<double>();
                for (int j = 0; j < c; j++) dst[j] += src[j];
            }
        }
        return r;
    }

    /// <summary>Backward of batch norm and instance norm (inputs x, weight, bias), and of batch norm fused with ReLU.</summary>
    private sealed class ChannelNormBackwardNode(string op, int n, int channels, int inner, bool batchStatistics, int fold) : GradNode
    {
        private Tensor? _x, _mean, _invStd, _w, _b;
        private bool _relu;
        public override string Name => op + "Backward";

        /// <summary>
        /// Saves what the backward pass reads. With the fused ReLU the bias is kept too: the backward kernel recomputes
        /// the ReLU mask from x (the forward's arithmetic) instead of keeping and reading the output.
        /// </summary>
        public void Keep(Tensor x, Tensor mean, Tensor invStd, Tensor? weight, bool relu, Tensor? bias)
        {
            _x = Save(x);
            _mean = Save(mean);
            _invStd = Save(invStd);
            if (weight is not null) _w = Save(weight);
            _relu = relu;
            if (relu && bias is not null) _b = Save(bias);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var x = _x!;
            var dx = NeedsGrad(0) ? Tensor.Empty(x.Shape, x.DType) : null;
            // Per kernel channel; folded over samples for instance norm.
            var dw = NeedsGrad(1) ? Tensor.Empty(new Shape(channels), x.DType) : null;
            var db = NeedsGrad(2) ? Tensor.Empty(new Shape(channels), x.DType) : null;
            var k = KernelBackend.For(x.DType);
            if (_relu)
            {
                if (x.DType == DType.Float32)
                    k.BatchNormReluBackward(n, channels, inner, x.Span<float>(), g.Span<float>(), _mean!.Span<float>(), _invStd!.Span<float>(),
                        SpanOrEmpty<float>(_w), SpanOrEmpty<float>(_b), batchStatistics, SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dw), SpanOrEmpty<float>(db));
                else
                    k.BatchNormReluBackward(n, channels, inner, x.Span<double>(), g.Span<double>(), _mean!.Span<double>(), _invStd!.Span<double>(),
                        SpanOrEmpty<double>(_w), SpanOrEmpty<double>(_b), batchStatistics, SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dw), SpanOrEmpty<double>(db));
            }
            else if (x.DType == DType.Float32)
                k.BatchNormBackward(n, channels, inner, x.Span<float>(), g.Span<float>(), _mean!.Span<float>(), _invStd!.Span<float>(),
                    SpanOrEmpty<float>(_w), batchStatistics, SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dw), SpanOrEmpty<float>(db));
            else
                k.BatchNormBackward(n, channels, inner, x.Span<double>(), g.Span<double>(), _mean!.Span<double>(), _invStd!.Span<double>(),
                    SpanOrEmpty<double>(_w), batchStatistics, SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dw), SpanOrEmpty<double>(db));
            return [dx, Fold(dw, 1), Fold(db, 2)];
        }

        private Tensor? Fold(Tensor? perChannel, int input)
        {
            if (perChannel is null) return null;
            var target = Inputs[input]!.Shape;
            if (fold == 1 && perChannel.Shape == target) return perChannel;
            var r = FoldChannels(perChannel, fold, target);
            perChannel.Dispose();
            return r;
        }
    }
}
