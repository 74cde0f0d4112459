using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void BatchNormStatistics<T>(int n, int channels, int inner, ReadOnlySpan<T> x, Span<T> mean, Span<T> variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckBatchNormSizes("BatchNormStatistics", n, channels, inner, x.Length);
        CheckLength("BatchNormStatistics", "mean", mean.Length, channels);
        CheckLength("BatchNormStatistics", "variance", variance.Length, channels);
        long count = (long)n * inner;
        fixed (T* px = x, pm = mean, pv = variance)
        {
            var xs = new Ptr<T>(px, total);
            var ms = new Ptr<T>(pm, channels);
            var vs = new Ptr<T>(pv, channels);
            // Two passes per channel (mean, then squared deviations): robust when |mean| ≫ std.
            RangeParallel.For(channels, 2 * count, (start, end) =>
            {
                for (int ch = start; ch < end; ch++)
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += LaneMaps.Sum<T>(xs.Slice((i * channels + ch) * inner, inner));
                    T m = T.CreateTruncating(count == 0 ? double.NaN : sum / count);
                    double ss = 0;
                    for (int i = 0; i < n; i++) ss += LaneMaps.SumSquaredDeviations<T>(xs.Slice((i * channels + ch) * inner, inner), m);
                    ms[ch] = m;
                    vs[ch] = T.CreateTruncating(count == 0 ? double.NaN : ss / count);
                }
            });
        }
    }

    /// <inheritdoc/>
    public virtual void BatchNormForward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        => NormalizeChannels(n, channels, inner, x, mean, invStd, weight, bias, y, relu: false);

    /// <inheritdoc/>
    public virtual void BatchNormReluForward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        => NormalizeChannels(n, channels, inner, x, mean, invStd, weight, bias, y, relu: true);

    /// <summary>
    /// <see cref="BatchNormReluForward{T}"/> writing channels [<paramref name="yOffset"/>, yOffset + channels) of a y
    /// [n, <paramref name="yChannels"/>, inner]: batch norm + ReLU of one part of a channel concatenation, written in place
    /// in the concatenated output (<see cref="Ops.BatchNormReluConcat"/>). Each channel's values are those of the
    /// contiguous kernel.
    /// </summary>
    internal static void BatchNormReluForwardInto<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int yChannels, int yOffset)
        where T : unmanaged, IFloatingPointIeee754<T>
        => NormalizeChannels(n, channels, inner, x, mean, invStd, weight, bias, y, relu: true, yChannels, yOffset);

    private static unsafe void NormalizeChannels<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, bool relu, int yChannels = -1, int yOffset = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (yChannels < 0) yChannels = channels;
        if (yOffset < 0 || channels + yOffset > yChannels)
            throw new ArgumentException($"BatchNormForward: channels [{yOffset}, {yOffset + channels}) outside an output of {yChannels}.");
        int total = CheckBatchNormSizes("BatchNormForward", n, channels, inner, x.Length);
        CheckBatchNormSizes("BatchNormForward", n, yChannels, inner, y.Length);
        CheckLength("BatchNormForward", "mean", mean.Length, channels);
        CheckLength("BatchNormForward", "invStd", invStd.Length, channels);
        if (!weight.IsEmpty) CheckLength("BatchNormForward", "weight", weight.Length, channels);
        if (!bias.IsEmpty) CheckLength("BatchNormForward", "bias", bias.Length, channels);
        bool hasW = !weight.IsEmpty, hasB = !bias.IsEmpty;
        fixed (T* px = x, pm = mean, pi = invStd, pw = weight, pb = bias, py = y)
        {
            var xs = new Ptr<T>(px, total);
            var ys = new Ptr<T>(py, y.Length);
            var ms = new Ptr<T>(pm, channels);
            var isd = new Ptr<T>(pi, channels);
            var ws = new Ptr<T>(pw, weight.Length);
            var bs = new Ptr<T>(pb, bias.Length);
            RangeParallel.For(n * channels, 2L * inner, (start, end) =>
            {
                for (int p = start; p < end; p++)
                {
                    int ch = p % channels;
                    int yp = (p / channels * yChannels + yOffset + ch) * inner;
                    T scale = hasW ? isd[ch] * ws[ch] : isd[ch];
                    T shift = hasB ? bs[ch] : T.Zero;
                    if (relu) LaneMaps.Map(xs.Slice(p * inner, inner), ys.Slice(yp, inner), new CenterScaleShiftRelu<T>(ms[ch], scale, shift));
                    else LaneMaps.Map(xs.Slice(p * inner, inner), ys.Slice(yp, inner), new CenterScaleShift<T>(ms[ch], scale, shift));
                }
            });
        }
    }

    /// <inheritdoc/>
    public virtual void BatchNormBackward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, bool batchStatistics, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
        => NormalizeChannelsBackward(n, channels, inner, x, dy, mean, invStd, weight, batchStatistics, dx, dweight, dbias);

    /// <inheritdoc/>
    public virtual void BatchNormReluBackward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, bool batchStatistics, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
        => BatchNormReluBackwardFrom(n, channels, inner, x, dy, channels, 0, mean, invStd, weight, bias, batchStatistics, dx, dweight, dbias);

    /// <summary>
    /// <see cref="BatchNormReluBackward{T}"/> reading dy from channels [<paramref name="dyOffset"/>, dyOffset + channels)
    /// of a dy [n, <paramref name="dyChannels"/>, inner]: the gradients of one part of a channel concatenation
    /// (<see cref="Ops.BatchNormReluConcat"/>). Each channel's results are those of the contiguous kernel.
    /// </summary>
    internal static unsafe void BatchNormReluBackwardFrom<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int dyChannels, int dyOffset,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, bool batchStatistics, Span<T> dx, Span<T> dweight,
        Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dyOffset < 0 || channels + dyOffset > dyChannels)
            throw new ArgumentException($"BatchNormReluBackward: channels [{dyOffset}, {dyOffset + channels}) outside a gradient of {dyChannels}.");
        int total = CheckBatchNormSizes("BatchNormReluBackward", n, channels, inner, x.Length);
        CheckBatchNormSizes("BatchNormReluBackward", n, dyChannels, inner, dy.Length);
        CheckLength("BatchNormReluBackward", "mean", mean.Length, channels);
        CheckLength("BatchNormReluBackward", "invStd", invStd.Length, channels);
        bool hasW = !weight.IsEmpty, hasB = !bias.IsEmpty, wantDx = !dx.IsEmpty, wantDw = !dweight.IsEmpty, wantDb = !dbias.IsEmpty;
        if (hasW) CheckLength("BatchNormReluBackward", "weight", weight.Length, channels);
        if (hasB) CheckLength("BatchNormReluBackward", "bias", bias.Length, channels);
        if (wantDx) CheckLength("BatchNormReluBackward", "dx", dx.Length, total);
        if (wantDw) CheckLength("BatchNormReluBackward", "dweight", dweight.Length, channels);
        if (wantDb) CheckLength("BatchNormReluBackward", "dbias", dbias.Length, channels);
        long count = (long)n * inner;
        bool needSums = wantDw || wantDb || (wantDx && batchStatistics);
        fixed (T* px = x, pg = dy, pm = mean, pi = invStd, pw = weight, pb = bias, pdx = dx, pdw = dweight, pdb = dbias)
        {
            var xs = new Ptr<T>(px, total);
            var gs = new Ptr<T>(pg, dy.Length);
            var ms = new Ptr<T>(pm, channels);
            var isd = new Ptr<T>(pi, channels);
            var ws = new Ptr<T>(pw, weight.Length);
            var bs = new Ptr<T>(pb, bias.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            var dws = new Ptr<T>(pdw, dweight.Length);
            var dbs = new Ptr<T>(pdb, dbias.Length);
            // Two passes over (dy, x) per channel — sums, then dx — with the ReLU mask recomputed from x by the
            // forward's own arithmetic (ReluMaskedGrad): the masked gradient is never stored and y never read.
            // (The earlier three passes, mask into dx, sums, dx, moved 8 plane-sized buffers per channel; this moves 5.)
            RangeParallel.For(channels, 3 * count, (start, end) =>
            {
                for (int ch = start; ch < end; ch++)
                {
                    T m = ms[ch], rstd = isd[ch];
                    // The forward's scale and shift (NormalizeChannels), so the recomputed y is the forward's y.
                    var mask = new ReluMaskedGrad<T>(m, hasW ? rstd * ws[ch] : rstd, hasB ? bs[ch] : T.Zero);
                    double sumG = 0, sumGx = 0;
                    if (needSums)
                    {
                        for (int i = 0; i < n; i++)
                        {
                            int off = (i * channels + ch) * inner, goff = (i * dyChannels + dyOffset + ch) * inner;
                            var (a, b) = LaneMaps.ReluMaskedSumAndDotCentered(gs.Slice(goff, inner), xs.Slice(off, inner), m, mask);
                            sumG += a;
                            sumGx += b;
                        }
                    }
                    if (wantDb) dbs[ch] = T.CreateTruncating(sumG);
                    if (wantDw) dws[ch] = T.CreateTruncating(sumGx) * rstd;
                    if (!wantDx) continue;
                    T k = hasW ? ws[ch] * rstd : rstd;
                    T c1 = batchStatistics ? T.CreateTruncating(sumG / count) : T.Zero;
                    T c2 = batchStatistics ? T.CreateTruncating(sumGx / count) * rstd * rstd : T.Zero;
                    for (int i = 0; i < n; i++)
                    {
                        int off = (i * channels + ch) * inner, goff = (i * dyChannels + dyOffset + ch) * inner;
                        if (batchStatistics)
                            LaneMaps.Map(gs.Slice(goff, inner), xs.Slice(off, inner), dxs.Slice(off, inner),
                                new ReluMaskedNormInputGrad<T>(mask, new NormInputGrad<T>(m, k, c1, c2)));
                        else LaneMaps.Map(gs.Slice(goff, inner), xs.Slice(off, inner), dxs.Slice(off, inner), new ReluMaskedScale<T>(mask, k));
                    }
                }
            });
        }
    }

    /// <summary>The batch-norm backward pass: per channel, the sums Σ dy and Σ dy·(x − mean), then dx.</summary>
    private static unsafe void NormalizeChannelsBackward<T>(int n, int channels, int inner, ReadOnlySpan<T> x, ReadOnlySpan<T> dy,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> invStd, ReadOnlySpan<T> weight, bool batchStatistics, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckBatchNormSizes("BatchNormBackward", n, channels, inner, x.Length, dy.Length);
        CheckLength("BatchNormBackward", "mean", mean.Length, channels);
        CheckLength("BatchNormBackward", "invStd", invStd.Length, channels);
        bool hasW = !weight.IsEmpty, wantDx = !dx.IsEmpty, wantDw = !dweight.IsEmpty, wantDb = !dbias.IsEmpty;
        if (hasW) CheckLength("BatchNormBackward", "weight", weight.Length, channels);
        if (wantDx) CheckLength("BatchNormBackward", "dx", dx.Length, total);
        if (wantDw) CheckLength("BatchNormBackward", "dweight", dweight.Length, channels);
        if (wantDb) CheckLength("BatchNormBackward", "dbias", dbias.Length, channels);
        long count = (long)n * inner;
        // The channel sums are needed for dweight/dbias, and for dx only when the statistics depend on x.
        bool needSums = wantDw || wantDb || (wantDx && batchStatistics);
        fixed (T* px = x, pg = dy, pm = mean, pi = invStd, pw = weight, pdx = dx, pdw = dweight, pdb = dbias)
        {
            var xs = new Ptr<T>(px, total);
            var gs = new Ptr<T>(pg, total);
            var ms = new Ptr<T>(pm, channels);
            var isd = new Ptr<T>(pi, channels);
            var ws = new Ptr<T>(pw, weight.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            var dws = new Ptr<T>(pdw, dweight.Length);
            var dbs = new Ptr<T>(pdb, dbias.Length);
            RangeParallel.For(channels, 4 * count, (start, end) =>
            {
                for (int ch = start; ch < end; ch++)
                {
                    T m = ms[ch], rstd = isd[ch];
                    double sumG = 0, sumGx = 0;
                    if (needSums)
                    {
                        for (int i = 0; i < n; i++)
                        {
                            int off = (i * channels + ch) * inner;
                            var (a, b) = LaneMaps.SumAndDotCentered<T>(gs.Slice(off, inner), xs.Slice(off, inner), m);
                            sumG += a;
                            sumGx += b;
                        }
                    }
                    if (wantDb) dbs[ch] = T.CreateTruncating(sumG);
                    if (wantDw) dws[ch] = T.CreateTruncating(sumGx) * rstd;
                    if (!wantDx) continue;
                    T k = hasW ? ws[ch] * rstd : rstd;
                    T c1 = batchStatistics ? T.CreateTruncating(sumG / count) : T.Zero;
                    T c2 = batchStatistics ? T.CreateTruncating(sumGx / count) * rstd * rstd : T.Zero;
                    for (int i = 0; i < n; i++)
                    {
                        int off = (i * channels + ch) * inner;
                        if (batchStatistics) LaneMaps.Map(gs.Slice(off, inner), xs.Slice(off, inner), dxs.Slice(off, inner), new NormInputGrad<T>(m, k, c1, c2));
                        else TensorPrimitives.Multiply(gs.Slice(off, inner), k, dxs.Slice(off, inner));
                    }
                }
            });
        }
    }

    private static int CheckBatchNormSizes(string kernel, int n, int channels, int inner, params int[] lengths)
    {
        if (n < 0 || channels < 0 || inner < 0)
            throw new ArgumentException($"{kernel}: negative size [{n}, {channels}, {inner}].");
        long total = (long)n * channels * inner;
        foreach (int len in lengths)
            if (len != total) throw new ArgumentException($"{kernel}: buffer of {len} elements for [{n}, {channels}, {inner}] ({total} elements).");
        return (int)total;
    }
}
