using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

/// <summary>How a 2-D activation's channels are stored.</summary>
public enum ActivationLayout
{
    /// <summary>[N, C, H, W], the layout every other op takes.</summary>
    Planar,

    /// <summary>[N, ⌈C/16⌉, H, W, 16] (oneDNN's aBcd16b): channel c at block c / 16, lane c % 16; lanes past C are zero.</summary>
    Blocked,

    /// <summary>[N, H, W, C] (oneDNN's acdb, NHWC): the channels of a pixel contiguous.</summary>
    ChannelsLast,
}

public static partial class Ops
{
    /// <summary>Channels per block of <see cref="ActivationLayout.Blocked"/> (one AVX-512 register of float32).</summary>
    public const int ChannelBlock = 16;

    // Channel-blocked activations let a chain of convolutions and per-channel element-wise ops run without the
    // NCHW ↔ blocked reorders oneDNN's direct kernels otherwise put around every convolution pass (six per layer in
    // training: source, destination and both gradients, the gradient of the output twice). A blocked tensor is an
    // ordinary float tensor of shape [N, ⌈C/16⌉, H, W, 16], so autograd, scopes and the buffer pool treat it like any
    // other; only the ops below know what its elements mean, and the caller keeps track of C (a convolution takes it
    // from its weight). Outside oneDNN (float64, the managed backend) the blocked ops convert to NCHW around the
    // planar op, so results match; only the fast path skips the copies.

    /// <summary>[N, C, H, W] → [N, ⌈C/16⌉, H, W, 16] (<see cref="ActivationLayout.Blocked"/>), the padding lanes zero.</summary>
    public static Tensor ToChannelBlocks(Tensor x)
    {
        const string op = "ToChannelBlocks";
        x.ThrowIfDisposed();
        if (x.Rank != 4) throw ShapeError(op, $"input must be [N, C, H, W]; got {x.Shape}.");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = Tensor.Empty(BlockedShape(n, c, h, w), x.DType);
        if (x.DType == DType.Float32 && KernelBackend.Float32 is DnnlKernels dnnl) dnnl.ReorderChannelBlocks(n, c, h, w, true, x.Span<float>(), y.Span<float>());
        else if (x.DType == DType.Float32) Reblock(x.Span<float>(), y.Span<float>(), n, c, h * w, toBlocks: true);
        else Reblock(x.Span<double>(), y.Span<double>(), n, c, h * w, toBlocks: true);
        if (!GradNode.WillRecord(x)) return y;
        return GradNode.Record(y, new ChannelBlocksBackward(toBlocks: true, c), x);
    }

    /// <summary>[N, ⌈C/16⌉, H, W, 16] → [N, C, H, W] for <paramref name="channels"/> = C (the inverse of <see cref="ToChannelBlocks"/>).</summary>
    public static Tensor FromChannelBlocks(Tensor x, int channels)
    {
        const string op = "FromChannelBlocks";
        x.ThrowIfDisposed();
        CheckBlocked(op, x, channels);
        int n = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        var y = Tensor.Empty(new Shape(n, channels, h, w), x.DType);
        if (x.DType == DType.Float32 && KernelBackend.Float32 is DnnlKernels dnnl) dnnl.ReorderChannelBlocks(n, channels, h, w, false, x.Span<float>(), y.Span<float>());
        else if (x.DType == DType.Float32) Reblock(y.Span<float>(), x.Span<float>(), n, channels, h * w, toBlocks: false);
        else Reblock(y.Span<double>(), x.Span<double>(), n, channels, h * w, toBlocks: false);
        if (!GradNode.WillRecord(x)) return y;
        return GradNode.Record(y, new ChannelBlocksBackward(toBlocks: false, channels), x);
    }

    /// <summary>
    /// torch.nn.functional.conv2d (groups 1, dilation 1) with the input and/or the output channel-blocked or
    /// channels-last (<see cref="ActivationLayout"/>); the channel counts come from the weight [Cout, Cin, kh, kw]. On
    /// oneDNN those sides are handed to the convolution as they are, in every pass (with either side channels-last
    /// the convolution runs on oneDNN's NHWC kernels and reorders only a side held otherwise); elsewhere the result
    /// is computed by <see cref="Conv2d(Tensor, Tensor, Tensor?, int, ConvPadding, int, int)"/> between layout conversions.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride, ConvPadding padding, ActivationLayout input, ActivationLayout output)
    {
        const string op = "Conv2d";
        x.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        if (input == ActivationLayout.Planar && output == ActivationLayout.Planar) return Conv2d(x, weight, bias, stride, padding);
        if (weight.Rank != 4) throw ShapeError(op, $"weight must be [Cout, Cin, kh, kw]; got {weight.Shape} for input {x.Shape}.");
        int cin = weight.Shape[1];
        if (input == ActivationLayout.Blocked) CheckBlocked(op, x, cin);
        if (input == ActivationLayout.ChannelsLast && (x.Rank != 4 || x.Shape[3] != cin))
            throw ShapeError(op, $"a channels-last input of {cin} channels must be [N, H, W, {cin}]; got {x.Shape}.");
        if (x.DType != DType.Float32 || KernelBackend.Float32 is not DnnlKernels dnnl)
        {
            var planar = input switch
            {
                ActivationLayout.Blocked => FromChannelBlocks(x, cin),
                ActivationLayout.ChannelsLast => FromChannelsLast(x),
                _ => x,
            };
            var y = Conv2d(planar, weight, bias, stride, padding);
            if (!ReferenceEquals(planar, x)) planar.Dispose();
            if (output == ActivationLayout.Planar) return y;
            var converted = output == ActivationLayout.Blocked ? ToChannelBlocks(y) : ToChannelsLast(y);
            y.Dispose();
            return converted;
        }
        var logical = input switch
        {
            ActivationLayout.Blocked => new Shape(x.Shape[0], cin, x.Shape[2], x.Shape[3]),
            ActivationLayout.ChannelsLast => new Shape(x.Shape[0], cin, x.Shape[1], x.Shape[2]),
            _ => x.Shape,
        };
        CheckSameDType(op, x, weight);
        if (bias is not null) CheckSameDType(op, x, bias);
        var g = ConvGeometryFor(op, 2, logical, weight, bias, [stride, stride], padding, [1, 1], 1);
        var layouts = new DnnlKernels.ConvLayouts(input, output);
        var outShape = output switch
        {
            ActivationLayout.Blocked => BlockedShape(g.N, g.OutChannels, g.OutSize[0], g.OutSize[1]),
            ActivationLayout.ChannelsLast => new Shape(g.N, g.OutSize[0], g.OutSize[1], g.OutChannels),
            _ => new Shape(g.N, g.OutChannels, g.OutSize[0], g.OutSize[1]),
        };
        var result = Tensor.Empty(outShape, x.DType);
        dnnl.ConvForwardF32(g, layouts, x.Span<float>(), weight.Span<float>(), bias is null ? default : bias.Span<float>(), result.Span<float>());
        if (!GradNode.WillRecord(x, weight, bias)) return result;
        var node = new BlockedConvBackward(dnnl, g, layouts, x.Shape);
        node.Setup(x, weight);
        return GradNode.Record(result, node, x, weight, bias);
    }

    /// <summary>
    /// <see cref="PRelu"/> with one weight per channel on a channel-blocked input [N, ⌈C/16⌉, H, W, 16], C = the
    /// weight's length. Padding lanes stay zero in the output and in the input gradient.
    /// </summary>
    public static Tensor PReluBlocked(Tensor x, Tensor weight)
    {
        const string op = "PReluBlocked";
        x.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        CheckSameDType(op, x, weight);
        if (weight.Rank != 1) throw ShapeError(op, $"weight must be [C]; got {weight.Shape} for input {x.Shape}.");
        CheckBlocked(op, x, weight.NumElements);
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) PReluBlockedForward(x.Shape, x.Span<float>(), LaneWeights<float>(weight, x.Shape[1]), y.Span<float>());
        else PReluBlockedForward(x.Shape, x.Span<double>(), LaneWeights<double>(weight, x.Shape[1]), y.Span<double>());
        if (!GradNode.WillRecord(x, weight)) return y;
        var node = new PReluBlockedNode();
        node.Keep(x, weight);
        return GradNode.Record(y, node, x, weight);
    }

    private static Shape BlockedShape(int n, int channels, int h, int w) => new(n, (channels + ChannelBlock - 1) / ChannelBlock, h, w, ChannelBlock);

    private static void CheckBlocked(string op, Tensor x, int channels)
    {
        if (x.Rank != 5 || x.Shape[4] != ChannelBlock || x.Shape[1] != (channels + ChannelBlock - 1) / ChannelBlock)
            throw ShapeError(op, $"a channel-blocked input of {channels} channels must be [N, {(channels + ChannelBlock - 1) / ChannelBlock}, H, W, {ChannelBlock}]; got {x.Shape}.");
    }

    /// <summary>Copies between planar [N, C, P] and blocked [N, ⌈C/16⌉, P, 16] (zeroing padding lanes when writing blocks).</summary>
    private static unsafe void Reblock<T>(Span<T> planar, Span<T> blocked, int n, int channels, int plane, bool toBlocks) where T : unmanaged, INumberBase<T>
    {
        int blocks = (channels + ChannelBlock - 1) / ChannelBlock;
        fixed (T* pp = planar, pb = blocked)
        {
            var ps = new Ptr<T>(pp, planar.Length);
            var bs = new Ptr<T>(pb, blocked.Length);
            RangeParallel.For(n * blocks, (long)plane * ChannelBlock, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    int s = t / blocks, cb = t % blocks;
                    var block = bs.Slice(t * plane * ChannelBlock, plane * ChannelBlock);
                    int lanes = Math.Min(ChannelBlock, channels - cb * ChannelBlock);
                    if (toBlocks && lanes < ChannelBlock) block.Clear();
                    for (int l = 0; l < lanes; l++)
                    {
                        var row = ps.Slice((s * channels + cb * ChannelBlock + l) * plane, plane);
                        if (toBlocks) for (int p = 0; p < plane; p++) block[p * ChannelBlock + l] = row[p];
                        else for (int p = 0; p < plane; p++) row[p] = block[p * ChannelBlock + l];
                    }
                }
            });
        }
    }

    private sealed class ChannelBlocksBackward(bool toBlocks, int channels) : GradNode
    {
        public override string Name => toBlocks ? "ToChannelBlocksBackward" : "FromChannelBlocksBackward";

        protected internal override Tensor?[] Backward(Tensor g) => [toBlocks ? FromChannelBlocks(g, channels) : ToChannelBlocks(g)];
    }

    /// <summary>Gradients of <see cref="Conv2d(Tensor, Tensor, Tensor?, int, ConvPadding, ActivationLayout, ActivationLayout)"/> on oneDNN, in the forward's layouts.</summary>
    private sealed class BlockedConvBackward(DnnlKernels dnnl, ConvGeometry geometry, DnnlKernels.ConvLayouts layouts, Shape xShape) : GradNode
    {
        private Tensor? _x, _w;

        public override string Name => "Conv2dBackward";

        // The same key as the planar convolution's, so profiles compare layer by layer across layouts.
        internal override string ProfileKey => geometry.ProfileLabel(Name);

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
                dx = Tensor.Empty(xShape, gy.DType);
                dnnl.ConvBackwardDataF32(geometry, layouts, gy.Span<float>(), _w!.Span<float>(), dx.Span<float>());
            }
            if (NeedsGrad(2)) db = Tensor.Empty(new Shape(geometry.OutChannels), gy.DType);
            if (NeedsGrad(1) || db is not null)
            {
                // A bias gradient alone (frozen weight) is rare; oneDNN computes it with the weight gradient, which is then dropped.
                var weightGrad = Tensor.Empty(new Shape([geometry.OutChannels, geometry.InChannels, .. geometry.Kernel]), gy.DType);
                dnnl.ConvBackwardWeightsF32(geometry, layouts, _x!.Span<float>(), gy.Span<float>(), weightGrad.Span<float>(), db is null ? default : db.Span<float>());
                if (NeedsGrad(1)) dw = weightGrad;
                else weightGrad.Dispose();
            }
            return [dx, dw, db];
        }
    }

    /// <summary>The weights spread over ⌈C/16⌉·16 lanes, zero past C (so padding lanes map 0 to 0).</summary>
    private static T[] LaneWeights<T>(Tensor weight, int blocks) where T : unmanaged, INumberBase<T>
    {
        var lanes = new T[blocks * ChannelBlock];
        weight.Span<T>().CopyTo(lanes);
        return lanes;
    }

    private static unsafe void PReluBlockedForward<T>(Shape shape, ReadOnlySpan<T> x, T[] lanes, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = shape[1], tasks = shape[0] * blocks, plane = shape.Product(2, 5);
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            RangeParallel.For(tasks, plane, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    var a = new ReadOnlySpan<T>(lanes, t % blocks * ChannelBlock, ChannelBlock);
                    var xi = xs.Slice(t * plane, plane);
                    var yi = ys.Slice(t * plane, plane);
                    if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
                    {
                        // One channel block is one 512-bit register: the 16 weights line up with the 16 lanes.
                        var av = Vector512.Create(MemoryMarshal.Cast<T, float>(a));
                        var xf = MemoryMarshal.Cast<T, float>(xi);
                        var yf = MemoryMarshal.Cast<T, float>(yi);
                        for (int i = 0; i < xf.Length; i += ChannelBlock)
                        {
                            var v = Vector512.Create(xf.Slice(i, ChannelBlock));
                            Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * av).CopyTo(yf.Slice(i, ChannelBlock));
                        }
                    }
                    else
                    {
                        for (int i = 0; i < xi.Length; i++)
                        {
                            var v = xi[i];
                            yi[i] = v > T.Zero ? v : a[i % ChannelBlock] * v;
                        }
                    }
                }
            });
        }
    }

    /// <summary>dx = g where x &gt; 0, weight·g elsewhere; dweight[c] = Σ x·g over channel c's non-positive elements (per-task partial sums in double, reduced in a fixed order).</summary>
    private static unsafe void PReluBlockedBackward<T>(Shape shape, ReadOnlySpan<T> x, T[] lanes, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = shape[1], tasks = shape[0] * blocks, plane = shape.Product(2, 5);
        bool wantDx = !dx.IsEmpty;
        var partial = dw.IsEmpty ? null : new double[tasks * ChannelBlock];
        fixed (T* px = x, pg = g, pdx = dx)
        {
            var xs = new Ptr<T>(px, x.Length);
            var gs = new Ptr<T>(pg, g.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            RangeParallel.For(tasks, 2L * plane, (start, end) =>
            {
                Span<double> sums = stackalloc double[ChannelBlock];
                for (int t = start; t < end; t++)
                {
                    var a = new ReadOnlySpan<T>(lanes, t % blocks * ChannelBlock, ChannelBlock);
                    var xi = xs.Slice(t * plane, plane);
                    var gi = gs.Slice(t * plane, plane);
                    var di = wantDx ? dxs.Slice(t * plane, plane) : default;
                    sums.Clear();
                    if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
                    {
                        var av = Vector512.Create(MemoryMarshal.Cast<T, float>(a));
                        var xf = MemoryMarshal.Cast<T, float>(xi);
                        var gf = MemoryMarshal.Cast<T, float>(gi);
                        var df = MemoryMarshal.Cast<T, float>(di);
                        Vector512<double> lo = default, hi = default;
                        for (int i = 0; i < xf.Length; i += ChannelBlock)
                        {
                            var v = Vector512.Create(xf.Slice(i, ChannelBlock));
                            var gv = Vector512.Create(gf.Slice(i, ChannelBlock));
                            var positive = Vector512.GreaterThan(v, Vector512<float>.Zero);
                            if (wantDx) Vector512.ConditionalSelect(positive, gv, gv * av).CopyTo(df.Slice(i, ChannelBlock));
                            var (l0, h0) = Vector512.Widen(Vector512.ConditionalSelect(positive, Vector512<float>.Zero, v * gv));
                            lo += l0;
                            hi += h0;
                        }
                        lo.CopyTo(sums);
                        hi.CopyTo(sums[8..]);
                    }
                    else
                    {
                        for (int i = 0; i < xi.Length; i += ChannelBlock)
                        {
                            for (int l = 0; l < ChannelBlock; l++)
                            {
                                var v = xi[i + l];
                                var gv = gi[i + l];
                                bool positive = v > T.Zero;
                                if (wantDx) di[i + l] = positive ? gv : a[l] * gv;
                                if (!positive) sums[l] += double.CreateTruncating(v * gv);
                            }
                        }
                    }
                    if (partial is not null) sums.CopyTo(partial.AsSpan(t * ChannelBlock, ChannelBlock));
                }
            });
        }
        if (partial is null) return;
        var total = new double[blocks * ChannelBlock];
        for (int t = 0; t < tasks; t++)
            for (int l = 0; l < ChannelBlock; l++) total[t % blocks * ChannelBlock + l] += partial[t * ChannelBlock + l];
        for (int c = 0; c < dw.Length; c++) dw[c] = T.CreateTruncating(total[c]);
    }

    private sealed class PReluBlockedNode : PReluNode
    {
        protected override void Kernel<T>(Tensor x, Tensor w, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw) =>
            PReluBlockedBackward(x.Shape, x.Span<T>(), LaneWeights<T>(w, x.Shape[1]), g, dx, dw);
    }
}
