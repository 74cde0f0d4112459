using System.Numerics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// <c>BatchNormRelu(Concat(parts, 1), …)</c> without the concatenation: parts [N, Cᵢ, …] (equal in every other
    /// dimension) are normalised as the channels of their concatenation [N, ΣCᵢ, …] — weight, bias and the running
    /// statistics are [ΣCᵢ] — and each part is written straight into its channels of the output. Batch norm works per
    /// channel, so every channel's statistics, output and gradients are those of the concatenated op bit for bit
    /// (the same kernels on the same values); what is saved is the concatenation's copy and, in the backward pass,
    /// the copies that split its gradient into the parts. Dense blocks (DenseNet, EEVRSR) normalise the growing
    /// concatenation of all earlier features in every layer.
    /// <para>
    /// <c>partStatistics</c> (training only, optional): each part's batch statistics as <see cref="BatchStatistics"/>
    /// returned them for that very tensor, used instead of computing them again (a dense block normalises every
    /// feature in each later layer, with the same statistics each time). They are the same kernel's results on the same
    /// values, so nothing changes but the passes saved.
    /// </para>
    /// </summary>
    public static Tensor BatchNormReluConcat(IReadOnlyList<Tensor> parts, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null,
        Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5,
        IReadOnlyList<(Tensor Mean, Tensor Variance)>? partStatistics = null)
    {
        const string op = "BatchNormReluConcat";
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw ShapeError(op, "needs at least one part.");
        var first = parts[0];
        foreach (var t in parts) t.ThrowIfDisposed();
        if (first.Rank < 2) throw ShapeError(op, $"parts must be [N, C, …]; got {first.Shape}.");
        var sizes = new int[parts.Count];
        int channels = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var t = parts[i];
            CheckSameDType(op, first, t);
            bool ok = t.Rank == first.Rank;
            for (int k = 0; ok && k < t.Rank; k++) ok = k == 1 || t.Shape[k] == first.Shape[k];
            if (!ok)
                throw ShapeError(op, $"parts {string.Join(", ", parts.Select(s => s.Shape.ToString()))} must match in every dimension except 1; part {i} ({t.Shape}) differs from part 0 ({first.Shape}).");
            sizes[i] = t.Shape[1];
            channels += sizes[i];
        }
        var shape = first.Shape.With(1, channels);
        CheckChannelParameters(op, first, channels, $"for the concatenation {shape}", runningMean, runningVar, weight, bias);
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: eps must be ≥ 0; got {eps}.");
        if (partStatistics is not null)
        {
            if (partStatistics.Count != parts.Count)
                throw ShapeError(op, $"{partStatistics.Count} part statistics for {parts.Count} parts.");
            for (int i = 0; i < parts.Count; i++)
                foreach (var t in new[] { partStatistics[i].Mean, partStatistics[i].Variance })
                {
                    t.ThrowIfDisposed();
                    CheckSameDType(op, first, t);
                    if (t.Rank != 1 || t.Shape[0] != sizes[i])
                        throw ShapeError(op, $"statistics of part {i} have shape {t.Shape}; expected [{sizes[i]}] for part {parts[i].Shape}.");
                }
        }
        int n = first.Shape[0], inner = first.Shape.Product(2, first.Rank);
        Tensor mean, invStd;
        if (!training)
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException($"{op}: evaluation mode (training: false) needs running_mean and running_var; concatenation {shape}.");
            mean = CopyOutOfGraph(runningMean);
            invStd = VarianceToInvStd(runningVar, eps);
        }
        else
        {
            long count = (long)n * inner;
            if (count <= 1) throw ShapeError(op, $"expected more than 1 value per channel when training; got parts of {first.Shape}.");
            mean = Tensor.Empty(new Shape(channels), first.DType);
            using var variance = Tensor.Empty(new Shape(channels), first.DType);
            var k = KernelBackend.For(first.DType);
            int offset = 0;
            for (int i = 0; i < parts.Count; offset += sizes[i], i++)
            {
                if (partStatistics is not null)
                {
                    CopyChannels(partStatistics[i].Mean, mean, offset);
                    CopyChannels(partStatistics[i].Variance, variance, offset);
                }
                else if (first.DType == DType.Float32)
                    k.BatchNormStatistics(n, sizes[i], inner, parts[i].Span<float>(), mean.Span<float>().Slice(offset, sizes[i]), variance.Span<float>().Slice(offset, sizes[i]));
                else
                    k.BatchNormStatistics(n, sizes[i], inner, parts[i].Span<double>(), mean.Span<double>().Slice(offset, sizes[i]), variance.Span<double>().Slice(offset, sizes[i]));
            }
            if (runningMean is not null) UpdateRunning(runningMean, mean, 1, momentum, 1.0);
            if (runningVar is not null) UpdateRunning(runningVar, variance, 1, momentum, count / (count - 1.0));
            invStd = VarianceToInvStd(variance, eps);
        }
        var y = Tensor.Empty(shape, first.DType);
        if (first.DType == DType.Float32) ForwardParts<float>(parts, sizes, n, channels, inner, mean, invStd, weight, bias, y);
        else ForwardParts<double>(parts, sizes, n, channels, inner, mean, invStd, weight, bias, y);
        Tensor?[] inputs = [.. parts, weight, bias];
        if (GradNode.WillRecord(inputs))
        {
            var node = new BatchNormReluConcatBackward(sizes, n, channels, inner, training);
            node.Keep(parts, mean, invStd, weight, bias);
            GradNode.Record(y, node, inputs);
        }
        mean.Dispose();
        invStd.Dispose();
        return y;
    }

    /// <summary>
    /// Per-channel batch mean and biased variance of x [N, C, …], computed as training-mode batch norm computes them
    /// (the same kernel), for <see cref="BatchNormReluConcat"/>'s <c>partStatistics</c>. Not differentiable: the
    /// batch norm that uses them differentiates through them itself.
    /// </summary>
    public static (Tensor Mean, Tensor Variance) BatchStatistics(Tensor x)
    {
        x.ThrowIfDisposed();
        if (x.Rank < 2) throw ShapeError("BatchStatistics", $"input must be [N, C, …]; got {x.Shape}.");
        return ChannelStatistics(x, x.Shape[0], x.Shape[1], x.Shape.Product(2, x.Rank));
    }

    private static void CopyChannels(Tensor source, Tensor target, int offset)
    {
        if (source.DType == DType.Float32) source.Span<float>().CopyTo(target.Span<float>()[offset..]);
        else source.Span<double>().CopyTo(target.Span<double>()[offset..]);
    }

    private static void ForwardParts<T>(IReadOnlyList<Tensor> parts, int[] sizes, int n, int channels, int inner, Tensor mean, Tensor invStd,
        Tensor? weight, Tensor? bias, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int offset = 0;
        for (int i = 0; i < parts.Count; offset += sizes[i], i++)
        {
            var w = weight is null ? [] : weight.Span<T>().Slice(offset, sizes[i]);
            var b = bias is null ? [] : bias.Span<T>().Slice(offset, sizes[i]);
            ManagedKernels.BatchNormReluForwardInto<T>(n, sizes[i], inner, parts[i].Span<T>(), mean.Span<T>().Slice(offset, sizes[i]),
                invStd.Span<T>().Slice(offset, sizes[i]), w, b, y.Span<T>(), channels, offset);
        }
    }

    /// <summary>Backward of <see cref="BatchNormReluConcat"/>: inputs are the parts, then weight and bias.</summary>
    private sealed class BatchNormReluConcatBackward(int[] sizes, int n, int channels, int inner, bool batchStatistics) : GradNode
    {
        private Tensor[]? _parts;
        private Tensor? _mean, _invStd, _w, _b;

        public override string Name => "BatchNormReluConcatBackward";

        public void Keep(IReadOnlyList<Tensor> parts, Tensor mean, Tensor invStd, Tensor? weight, Tensor? bias)
        {
            _parts = parts.Select(Save).ToArray();
            _mean = Save(mean);
            _invStd = Save(invStd);
            if (weight is not null) _w = Save(weight);
            if (bias is not null) _b = Save(bias);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            int count = sizes.Length;
            var grads = new Tensor?[count + 2];
            var dtype = g.DType;
            var dw = NeedsGrad(count) ? Tensor.Empty(new Shape(channels), dtype) : null;
            var db = NeedsGrad(count + 1) ? Tensor.Empty(new Shape(channels), dtype) : null;
            int offset = 0;
            for (int i = 0; i < count; offset += sizes[i], i++)
            {
                bool wantDx = NeedsGrad(i);
                if (!wantDx && dw is null && db is null) continue;
                var dx = wantDx ? Tensor.Empty(_parts![i].Shape, dtype) : null;
                if (dtype == DType.Float32) PartBackward<float>(i, offset, g, dx, dw, db);
                else PartBackward<double>(i, offset, g, dx, dw, db);
                grads[i] = dx;
            }
            grads[count] = dw;
            grads[count + 1] = db;
            return grads;
        }

        private void PartBackward<T>(int part, int offset, Tensor g, Tensor? dx, Tensor? dw, Tensor? db) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int c = sizes[part];
            ManagedKernels.BatchNormReluBackwardFrom<T>(n, c, inner, _parts![part].Span<T>(), g.Span<T>(), channels, offset,
                _mean!.Span<T>().Slice(offset, c), _invStd!.Span<T>().Slice(offset, c),
                _w is null ? [] : _w.Span<T>().Slice(offset, c), _b is null ? [] : _b.Span<T>().Slice(offset, c), batchStatistics,
                dx is null ? [] : dx.Span<T>(), dw is null ? [] : dw.Span<T>().Slice(offset, c), db is null ? [] : db.Span<T>().Slice(offset, c));
        }
    }
}
