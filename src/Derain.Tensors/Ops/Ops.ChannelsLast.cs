using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    // Channels-last activations ([N, H, W, C], oneDNN's acdb / nhwc) exist for oneDNN's NHWC convolution kernels:
    // with 24 channels (EEVRSR's flow stages) the blocked kernels pad input and output channels to 32, the NHWC ones
    // only the output tail of a vector, and ran the flow stages' convolutions about a third faster (./bench
    // convprobe, docs/eevrsr.md). Like a blocked tensor, a channels-last tensor is an ordinary tensor; the caller
    // keeps track of which layout it holds.

    /// <summary>[N, C, H, W] → [N, H, W, C] (<see cref="ActivationLayout.ChannelsLast"/>).</summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        x.ThrowIfDisposed();
        if (x.Rank != 4) throw ShapeError("ToChannelsLast", $"input must be [N, C, H, W]; got {x.Shape}.");
        return Permute(x, 0, 2, 3, 1);
    }

    /// <summary>[N, H, W, C] → [N, C, H, W] (the inverse of <see cref="ToChannelsLast"/>).</summary>
    public static Tensor FromChannelsLast(Tensor x)
    {
        x.ThrowIfDisposed();
        if (x.Rank != 4) throw ShapeError("FromChannelsLast", $"input must be [N, H, W, C]; got {x.Shape}.");
        return Permute(x, 0, 3, 1, 2);
    }

    /// <summary>
    /// <see cref="PRelu"/> with one weight per channel on a channels-last input [N, H, W, C], C = the weight's length.
    /// </summary>
    public static Tensor PReluChannelsLast(Tensor x, Tensor weight)
    {
        const string op = "PReluChannelsLast";
        x.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        CheckSameDType(op, x, weight);
        if (weight.Rank != 1 || x.Rank != 4 || x.Shape[3] != weight.NumElements)
            throw ShapeError(op, $"a channels-last input [N, H, W, C] and a weight [C] are needed; got {x.Shape} and {weight.Shape}.");
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) PReluChannelsLastForward(x.Span<float>(), PatternWeights<float>(weight), y.Span<float>());
        else PReluChannelsLastForward(x.Span<double>(), PatternWeights<double>(weight), y.Span<double>());
        if (!GradNode.WillRecord(x, weight)) return y;
        var node = new PReluChannelsLastNode();
        node.Keep(x, weight);
        return GradNode.Record(y, node, x, weight);
    }

    /// <summary>Pixels per vector step: with 16 pixels of C channels, the per-element weights repeat every C vectors of 16 lanes.</summary>
    private const int PatternPixels = 16;

    /// <summary>Pattern groups (of <see cref="PatternPixels"/> pixels) per parallel task; fixed so the weight-gradient sums do not depend on the thread count.</summary>
    private const int GroupsPerTask = 256;

    /// <summary>The weight of every element of 16 consecutive pixels: element j has channel j % C.</summary>
    private static T[] PatternWeights<T>(Tensor weight) where T : unmanaged, INumberBase<T>
    {
        var w = weight.Span<T>();
        var pattern = new T[w.Length * PatternPixels];
        for (int j = 0; j < pattern.Length; j++) pattern[j] = w[j % w.Length];
        return pattern;
    }

    private static int PatternTasks(int length, int period) => Math.Max(1, (int)(((long)length / period + GroupsPerTask - 1) / GroupsPerTask));

    private static unsafe void PReluChannelsLastForward<T>(ReadOnlySpan<T> x, T[] pattern, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int period = pattern.Length, tasks = PatternTasks(x.Length, period);
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            RangeParallel.For(tasks, (long)GroupsPerTask * period, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    int from = t * GroupsPerTask * period, to = t + 1 == tasks ? xs.Length : Math.Min(xs.Length, from + GroupsPerTask * period);
                    var xi = xs.Slice(from, to - from);
                    var yi = ys.Slice(from, to - from);
                    int i = 0;
                    if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
                    {
                        var a = MemoryMarshal.Cast<T, float>(pattern.AsSpan());
                        var xf = MemoryMarshal.Cast<T, float>(xi);
                        var yf = MemoryMarshal.Cast<T, float>(yi);
                        for (; i + period <= xf.Length; i += period)
                        {
                            for (int j = 0; j < period; j += 16)
                            {
                                var v = Vector512.Create(xf.Slice(i + j, 16));
                                var av = Vector512.Create(a.Slice(j, 16));
                                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * av).CopyTo(yf.Slice(i + j, 16));
                            }
                        }
                    }
                    for (; i < xi.Length; i++)
                    {
                        var v = xi[i];
                        yi[i] = v > T.Zero ? v : pattern[i % period] * v;
                    }
                }
            });
        }
    }

    /// <summary>
    /// dx = g where x &gt; 0, weight·g elsewhere; dweight[c] = Σ x·g over channel c's non-positive elements: per-task
    /// sums per pattern position in double, reduced over tasks and positions in a fixed order.
    /// </summary>
    private static unsafe void PReluChannelsLastBackward<T>(ReadOnlySpan<T> x, T[] pattern, int channels, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int period = pattern.Length, tasks = PatternTasks(x.Length, period);
        bool wantDx = !dx.IsEmpty;
        var partial = dw.IsEmpty ? null : new double[tasks * period];
        fixed (T* px = x, pg = g, pdx = dx)
        {
            var xs = new Ptr<T>(px, x.Length);
            var gs = new Ptr<T>(pg, g.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            RangeParallel.For(tasks, 2L * GroupsPerTask * period, (start, end) =>
            {
                var sums = new double[period];
                for (int t = start; t < end; t++)
                {
                    int from = t * GroupsPerTask * period, to = t + 1 == tasks ? xs.Length : Math.Min(xs.Length, from + GroupsPerTask * period);
                    var xi = xs.Slice(from, to - from);
                    var gi = gs.Slice(from, to - from);
                    var di = wantDx ? dxs.Slice(from, to - from) : default;
                    Array.Clear(sums);
                    int i = 0;
                    if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
                    {
                        var a = MemoryMarshal.Cast<T, float>(pattern.AsSpan());
                        var xf = MemoryMarshal.Cast<T, float>(xi);
                        var gf = MemoryMarshal.Cast<T, float>(gi);
                        var df = MemoryMarshal.Cast<T, float>(di);
                        var sd = sums.AsSpan();
                        for (; i + period <= xf.Length; i += period)
                        {
                            for (int j = 0; j < period; j += 16)
                            {
                                var v = Vector512.Create(xf.Slice(i + j, 16));
                                var gv = Vector512.Create(gf.Slice(i + j, 16));
                                var positive = Vector512.GreaterThan(v, Vector512<float>.Zero);
                                if (wantDx) Vector512.ConditionalSelect(positive, gv, gv * Vector512.Create(a.Slice(j, 16))).CopyTo(df.Slice(i + j, 16));
                                var (lo, hi) = Vector512.Widen(Vector512.ConditionalSelect(positive, Vector512<float>.Zero, v * gv));
                                (Vector512.Create((ReadOnlySpan<double>)sd.Slice(j, 8)) + lo).CopyTo(sd.Slice(j, 8));
                                (Vector512.Create((ReadOnlySpan<double>)sd.Slice(j + 8, 8)) + hi).CopyTo(sd.Slice(j + 8, 8));
                            }
                        }
                    }
                    for (; i < xi.Length; i++)
                    {
                        var v = xi[i];
                        var gv = gi[i];
                        bool positive = v > T.Zero;
                        if (wantDx) di[i] = positive ? gv : pattern[i % period] * gv;
                        if (!positive) sums[i % period] += double.CreateTruncating(v * gv);
                    }
                    if (partial is not null) sums.CopyTo(partial.AsSpan(t * period, period));
                }
            });
        }
        if (partial is null) return;
        var total = new double[channels];
        for (int t = 0; t < tasks; t++)
            for (int j = 0; j < period; j++) total[j % channels] += partial[t * period + j];
        for (int c = 0; c < channels; c++) dw[c] = T.CreateTruncating(total[c]);
    }

    private sealed class PReluChannelsLastNode : PReluNode
    {
        protected override void Kernel<T>(Tensor x, Tensor w, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw) =>
            PReluChannelsLastBackward(x.Span<T>(), PatternWeights<T>(w), w.NumElements, g, dx, dw);
    }
}
