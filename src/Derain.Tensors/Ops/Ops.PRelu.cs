using System.Numerics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.prelu(input, weight): x for x &gt; 0, weight·x otherwise, with one weight per channel
    /// (dimension 1, weight [C]) or a single weight for every element (one-element weight). Gradients flow to
    /// both x and the weight (Σ x·g over the non-positive elements of each channel).
    /// </summary>
    public static Tensor PRelu(Tensor x, Tensor weight)
    {
        const string op = "PRelu";
        x.ThrowIfDisposed();
        weight.ThrowIfDisposed();
        CheckSameDType(op, x, weight);
        var layout = PReluLayout(x, weight);
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) PReluForward(layout, x.Span<float>(), weight.Span<float>(), y.Span<float>());
        else PReluForward(layout, x.Span<double>(), weight.Span<double>(), y.Span<double>());
        if (!GradNode.WillRecord(x, weight)) return y;
        var node = new PReluBackwardNode(layout);
        node.Keep(x, weight);
        return GradNode.Record(y, node, x, weight);
    }

    /// <summary>x as [planes, inner] where plane p uses weight[p % channels]; split into blocks for parallel work.</summary>
    private readonly record struct PReluShape(int Planes, int Channels, int Inner, int BlocksPerPlane, int Block)
    {
        public int Tasks => Planes * BlocksPerPlane;
    }

    private static PReluShape PReluLayout(Tensor x, Tensor weight)
    {
        int channels, inner;
        if (weight.NumElements == 1) { channels = 1; inner = x.NumElements; }
        else
        {
            if (weight.Rank != 1)
                throw ShapeError("PRelu", $"weight must be 1-D [C] or have a single element; got shape {weight.Shape} for input {x.Shape}.");
            if (x.Rank < 2 || x.Shape[1] != weight.NumElements)
                throw ShapeError("PRelu", $"weight {weight.Shape} needs input [N, {weight.NumElements}, …] (channels on dimension 1); got input {x.Shape}.");
            channels = weight.NumElements;
            inner = x.Shape.Product(2, x.Rank);
        }
        int planes = inner == 0 ? 0 : x.NumElements / inner;
        int block = Math.Max(1, Math.Min(inner, UnaryBlock));
        int blocks = inner == 0 ? 0 : (inner + block - 1) / block;
        return new PReluShape(planes, channels, inner, blocks, block);
    }

    private static unsafe void PReluForward<T>(PReluShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x, pw = w, py = y)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ws = new Ptr<T>(pw, w.Length);
            var ys = new Ptr<T>(py, y.Length);
            RangeParallel.For(s.Tasks, s.Block, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    var (off, len, ch) = PReluBlock(s, t);
                    LaneMaps.Map(xs.Slice(off, len), ys.Slice(off, len), new LeakyLane<T>(ws[ch]));
                }
            });
        }
    }

    private static (int Offset, int Length, int Channel) PReluBlock(PReluShape s, int task)
    {
        int plane = task / s.BlocksPerPlane, b = task % s.BlocksPerPlane;
        int start = b * s.Block;
        return (plane * s.Inner + start, Math.Min(s.Block, s.Inner - start), plane % s.Channels);
    }

    private static unsafe void PReluBackward<T>(PReluShape s, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool wantDx = !dx.IsEmpty, wantDw = !dw.IsEmpty;
        // One partial weight-gradient sum per block; reduced per channel afterwards in a fixed order.
        var partial = wantDw ? new double[s.Tasks] : null;
        fixed (T* px = x, pw = w, pg = g, pdx = dx)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ws = new Ptr<T>(pw, w.Length);
            var gs = new Ptr<T>(pg, g.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            RangeParallel.For(s.Tasks, 2L * s.Block, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    var (off, len, ch) = PReluBlock(s, t);
                    if (wantDx) LaneMaps.Map(xs.Slice(off, len), gs.Slice(off, len), dxs.Slice(off, len), new LeakyGradLane<T>(ws[ch]));
                    if (partial is not null) partial[t] = LaneMaps.Sum(xs.Slice(off, len), gs.Slice(off, len), new NegativePartProductLane<T>());
                }
            });
        }
        if (partial is null) return;
        var sums = new double[s.Channels];
        for (int t = 0; t < s.Tasks; t++) sums[PReluBlock(s, t).Channel] += partial[t];
        for (int c = 0; c < s.Channels; c++) dw[c] = T.CreateTruncating(sums[c]);
    }

    /// <summary>
    /// The backward node of the PReLU ops (planar, channel-blocked, channels-last): keeps x and the weight and asks
    /// its layout's kernel for dx and dweight.
    /// </summary>
    private abstract class PReluNode : GradNode
    {
        private Tensor? _x, _w;

        public override string Name => "PReluBackward";

        public void Keep(Tensor x, Tensor w)
        {
            _x = Save(x);
            _w = Save(w);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var x = _x!;
            var w = _w!;
            var dx = NeedsGrad(0) ? Tensor.Empty(x.Shape, x.DType) : null;
            var dw = NeedsGrad(1) ? Tensor.Empty(w.Shape, w.DType) : null;
            if (x.DType == DType.Float32) Kernel(x, w, g.Span<float>(), SpanOrEmpty<float>(dx), SpanOrEmpty<float>(dw));
            else Kernel(x, w, g.Span<double>(), SpanOrEmpty<double>(dx), SpanOrEmpty<double>(dw));
            return [dx, dw];
        }

        /// <summary>dx (empty when not needed) and dweight (likewise) for the output gradient g.</summary>
        protected abstract void Kernel<T>(Tensor x, Tensor w, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private sealed class PReluBackwardNode(PReluShape layout) : PReluNode
    {
        protected override void Kernel<T>(Tensor x, Tensor w, ReadOnlySpan<T> g, Span<T> dx, Span<T> dw) =>
            PReluBackward(layout, x.Span<T>(), w.Span<T>(), g, dx, dw);
    }
}
