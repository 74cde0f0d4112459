using System.Numerics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// An element-wise function and its derivative. The struct carries the op's constants; its backward
    /// says whether it reads the input x or the output y, so the node saves only what is needed.
    /// </summary>
    private interface IUnaryMap
    {
        string Name { get; }
        bool BackwardUsesInput { get; }
        bool BackwardUsesOutput { get; }
        void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

        /// <summary>dx = g·f'(x); <paramref name="x"/> or <paramref name="y"/> is empty when not declared as used.</summary>
        void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    /// <summary>Elements per parallel block of an element-wise map (about 64 KiB of float32).</summary>
    private const int UnaryBlock = 16 * 1024;

    private static Tensor UnaryMap<TOp>(Tensor x, TOp op) where TOp : struct, IUnaryMap
    {
        x.ThrowIfDisposed();
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) UnaryForward(x.Span<float>(), y.Span<float>(), op);
        else UnaryForward(x.Span<double>(), y.Span<double>(), op);
        if (!GradNode.WillRecord(x)) return y;
        var node = new UnaryMapBackward<TOp>(op);
        node.Keep(op.BackwardUsesInput ? x : null, op.BackwardUsesOutput ? y : null);
        return GradNode.Record(y, node, x);
    }

    private static unsafe void UnaryForward<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUnaryMap
    {
        int n = y.Length, blocks = (n + UnaryBlock - 1) / UnaryBlock;
        if (blocks <= 1) { op.Forward(x, y); return; }
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, n);
            var ys = new Ptr<T>(py, n);
            RangeParallel.For(blocks, UnaryBlock, (s, e) =>
            {
                int a = s * UnaryBlock, len = Math.Min(n, e * UnaryBlock) - a;
                op.Forward<T>(xs.Slice(a, len), ys.Slice(a, len));
            });
        }
    }

    private static unsafe void UnaryBackward<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IUnaryMap
    {
        int n = dx.Length, blocks = (n + UnaryBlock - 1) / UnaryBlock;
        if (blocks <= 1) { op.Backward(x, y, g, dx); return; }
        fixed (T* px = x, py = y, pg = g, pdx = dx)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            var gs = new Ptr<T>(pg, n);
            var dxs = new Ptr<T>(pdx, n);
            RangeParallel.For(blocks, UnaryBlock, (s, e) =>
            {
                int a = s * UnaryBlock, len = Math.Min(n, e * UnaryBlock) - a;
                op.Backward<T>(xs.Length == 0 ? default : xs.Slice(a, len), ys.Length == 0 ? default : ys.Slice(a, len),
                    gs.Slice(a, len), dxs.Slice(a, len));
            });
        }
    }

    private sealed class UnaryMapBackward<TOp>(TOp op) : GradNode where TOp : struct, IUnaryMap
    {
        private Tensor? _x, _y;
        public override string Name => op.Name + "Backward";

        public void Keep(Tensor? x, Tensor? y)
        {
            if (x is not null) _x = Save(x);
            if (y is not null) _y = Save(y);
        }

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var dx = Tensor.Empty(g.Shape, g.DType);
            if (g.DType == DType.Float32)
                UnaryBackward(SpanOrEmpty<float>(_x), SpanOrEmpty<float>(_y), g.Span<float>(), dx.Span<float>(), op);
            else
                UnaryBackward(SpanOrEmpty<double>(_x), SpanOrEmpty<double>(_y), g.Span<double>(), dx.Span<double>(), op);
            return [dx];
        }
    }
}
