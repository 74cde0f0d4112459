using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

/// <summary>How <see cref="Ops.Pad"/> fills the border (torch.nn.functional.pad's mode).</summary>
public enum PadMode
{
    /// <summary>'constant': a fixed value. Negative amounts crop.</summary>
    Constant,
    /// <summary>'reflect': mirror without repeating the edge (needs each amount &lt; the size).</summary>
    Reflect,
    /// <summary>'replicate': repeat the edge element.</summary>
    Replicate,
}

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.pad on the last one, two or three dimensions. <paramref name="pad"/> lists
    /// (before, after) pairs starting from the last dimension, as in PyTorch: (left, right), then (top,
    /// bottom), then (front, back); the two sides may differ (TensorFlow 'SAME' padding). Reflect and
    /// replicate accept any number of leading dimensions (PyTorch 1.13 restricts the rank).
    /// </summary>
    public static Tensor Pad(Tensor x, int[] pad, PadMode mode = PadMode.Constant, double value = 0)
    {
        x.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(pad);
        var p = PadPlan.Create(x.Shape, pad, mode);
        var y = Tensor.Empty(p.OutShape, x.DType);
        if (x.DType == DType.Float32) PadForward(x.Span<float>(), y.Span<float>(), p, (float)value);
        else PadForward(x.Span<double>(), y.Span<double>(), p, value);
        return GradNode.Record(y, new PadBackward(p), x);
    }

    /// <summary>The input viewed as [Outer, D, H, W] with the three innermost dimensions padded (unused ones are size 1, pad 0).</summary>
    private sealed record PadPlan(Shape InShape, Shape OutShape, PadMode Mode, int[] Pad, int Outer, int[] In, int[] Out, int[] Begin)
    {
        public static PadPlan Create(Shape shape, int[] pad, PadMode mode)
        {
            int k = pad.Length / 2;
            if (pad.Length % 2 != 0 || k < 1 || k > 3)
                throw ShapeError("Pad", $"padding {Shape.Format(pad)} must hold 2, 4 or 6 values (before, after per dimension, last dimension first); input {shape}.");
            if (k > shape.Rank)
                throw ShapeError("Pad", $"padding {Shape.Format(pad)} covers {k} dimensions but input {shape} has {shape.Rank}.");
            var inner = new int[] { 1, 1, 1 };
            var begin = new int[3];
            var outInner = new int[] { 1, 1, 1 };
            var outDims = shape.ToArray();
            string name = mode.ToString().ToLowerInvariant();
            for (int i = 0; i < k; i++)
            {
                int dim = shape.Rank - 1 - i, slot = 2 - i;
                int n = shape[dim], b = pad[2 * i], e = pad[2 * i + 1];
                if (mode != PadMode.Constant)
                {
                    if (b < 0 || e < 0)
                        throw ShapeError("Pad", $"{name} padding {Shape.Format(pad)} must be non-negative (input {shape}).");
                    if (mode == PadMode.Reflect && (b >= n || e >= n))
                        throw ShapeError("Pad", $"reflect padding ({b}, {e}) of dimension {dim} must be less than its size {n} (input {shape}, padding {Shape.Format(pad)}).");
                    if (mode == PadMode.Replicate && n == 0 && b + e > 0)
                        throw ShapeError("Pad", $"replicate padding of dimension {dim} needs a non-empty dimension (input {shape}).");
                }
                int o = n + b + e;
                if (o < 0)
                    throw ShapeError("Pad", $"padding ({b}, {e}) of dimension {dim} (size {n}) gives a negative size (input {shape}).");
                inner[slot] = n;
                begin[slot] = b;
                outInner[slot] = o;
                outDims[dim] = o;
            }
            int outer = shape.Product(0, shape.Rank - k);
            return new PadPlan(shape, new Shape(outDims), mode, (int[])pad.Clone(), outer, inner, outInner, begin);
        }

        /// <summary>Source index along a padded dimension for output index <paramref name="o"/>, or -1 (constant border).</summary>
        public int Source(int slot, int o)
        {
            int i = o - Begin[slot], n = In[slot];
            if (i >= 0 && i < n) return i;
            return Mode switch
            {
                PadMode.Constant => -1,
                PadMode.Replicate => i < 0 ? 0 : n - 1,
                _ => i < 0 ? -i : 2 * (n - 1) - i,
            };
        }

        /// <summary>Output rows (all but the last dimension) per outer index.</summary>
        public int RowsPerOuter => Out[0] * Out[1];
    }

    private static unsafe void PadForward<T>(ReadOnlySpan<T> x, Span<T> y, PadPlan p, T value) where T : unmanaged
    {
        if (y.Length == 0) return;
        int rowsPer = p.RowsPerOuter, ow = p.Out[2], w = p.In[2], bw = p.Begin[2];
        // The columns [lo, hi) of an output row that copy input columns; the rest is border.
        int lo = Math.Clamp(bw, 0, ow), hi = Math.Clamp(bw + w, lo, ow);
        fixed (T* px = x)
        fixed (T* py = y)
        {
            T* xs = px, ys = py;
            StridedCopy.ForRanges((long)p.Outer * rowsPer, ow, (start, end) =>
            {
                for (long row = start; row < end; row++)
                {
                    int o = (int)(row / rowsPer), r = (int)(row % rowsPer);
                    int sd = p.Source(0, r / p.Out[1]), sh = p.Source(1, r % p.Out[1]);
                    var dst = new Span<T>(ys + row * ow, ow);
                    if (sd < 0 || sh < 0) { dst.Fill(value); continue; }
                    T* src = xs + (((long)o * p.In[0] + sd) * p.In[1] + sh) * w;
                    new ReadOnlySpan<T>(src + (lo - bw), hi - lo).CopyTo(dst.Slice(lo, hi - lo));
                    if (p.Mode == PadMode.Constant)
                    {
                        dst[..lo].Fill(value);
                        dst[hi..].Fill(value);
                    }
                    else
                    {
                        for (int c = 0; c < lo; c++) dst[c] = src[p.Source(2, c)];
                        for (int c = hi; c < ow; c++) dst[c] = src[p.Source(2, c)];
                    }
                }
            });
        }
    }

    /// <summary>Reflect/replicate backward: each output gradient adds onto the input element it was copied from.</summary>
    private static unsafe void PadAccumulate<T>(ReadOnlySpan<T> g, Span<T> gx, PadPlan p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Length == 0 || gx.Length == 0) return;
        int rowsPer = p.RowsPerOuter, ow = p.Out[2], w = p.In[2], bw = p.Begin[2];
        int plane = p.In[0] * p.In[1] * w;
        fixed (T* pg = g)
        fixed (T* px = gx)
        {
            T* gs = pg, xs = px;
            // Border rows of different outer indices never meet, so the outer dimension is split across threads.
            StridedCopy.ForRanges(p.Outer, (long)rowsPer * ow, (start, end) =>
            {
                for (long o = start; o < end; o++)
                {
                    for (int r = 0; r < rowsPer; r++)
                    {
                        int sd = p.Source(0, r / p.Out[1]), sh = p.Source(1, r % p.Out[1]);
                        T* src = gs + (o * rowsPer + r) * ow;
                        T* dst = xs + o * plane + ((long)sd * p.In[1] + sh) * w;
                        var mid = new Span<T>(dst, w);
                        TensorPrimitives.Add(mid, new ReadOnlySpan<T>(src + bw, w), mid);
                        for (int c = 0; c < bw; c++) dst[p.Source(2, c)] += src[c];
                        for (int c = bw + w; c < ow; c++) dst[p.Source(2, c)] += src[c];
                    }
                }
            });
        }
    }

    private sealed class PadBackward(PadPlan plan) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            // Constant padding is undone by cropping, i.e. padding by the negated amounts (negative pads restore zeros).
            if (plan.Mode == PadMode.Constant)
                return [Pad(g, plan.Pad.Select(v => -v).ToArray(), PadMode.Constant, 0)];
            var gx = Tensor.Zeros(plan.InShape, g.DType);
            if (g.DType == DType.Float32) PadAccumulate(g.Span<float>(), gx.Span<float>(), plan);
            else PadAccumulate(g.Span<double>(), gx.Span<double>(), plan);
            return [gx];
        }
    }
}
