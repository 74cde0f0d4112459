using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <summary>Columns handled together when softmax runs over a non-innermost axis (fits L1 with its scratch).</summary>
    private const int SoftmaxColumnChunk = 512;

    /// <inheritdoc/>
    public virtual void SoftmaxForward<T>(int outer, int dim, int inner, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxForwardCore(outer, dim, inner, x, y, log: false);

    /// <inheritdoc/>
    public virtual void LogSoftmaxForward<T>(int outer, int dim, int inner, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxForwardCore(outer, dim, inner, x, y, log: true);

    /// <inheritdoc/>
    public virtual void SoftmaxBackward<T>(int outer, int dim, int inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxBackwardCore(outer, dim, inner, y, dy, dx, log: false);

    /// <inheritdoc/>
    public virtual void LogSoftmaxBackward<T>(int outer, int dim, int inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxBackwardCore(outer, dim, inner, y, dy, dx, log: true);

    private static int CheckSoftmaxSizes(string kernel, int outer, int dim, int inner, params int[] lengths)
    {
        if (outer < 0 || dim < 0 || inner < 0)
            throw new ArgumentException($"{kernel}: negative size (outer {outer}, dim {dim}, inner {inner}).");
        long n = (long)outer * dim * inner;
        foreach (int len in lengths)
            if (len != n) throw new ArgumentException($"{kernel}: buffer of {len} elements for [{outer}, {dim}, {inner}] ({n} elements).");
        return (int)n;
    }

    private static unsafe void SoftmaxForwardCore<T>(int outer, int dim, int inner, ReadOnlySpan<T> x, Span<T> y, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSoftmaxSizes(log ? "LogSoftmaxForward" : "SoftmaxForward", outer, dim, inner, x.Length, y.Length);
        if (n == 0) return;
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, n);
            var ys = new Ptr<T>(py, n);
            if (inner == 1)
            {
                RangeParallel.For(outer, dim * 4L, (start, end) =>
                {
                    for (int r = start; r < end; r++) SoftmaxRow(xs.Slice(r * dim, dim), ys.Slice(r * dim, dim), log);
                });
                return;
            }
            int chunk = Math.Min(inner, SoftmaxColumnChunk), perOuter = (inner + chunk - 1) / chunk;
            RangeParallel.For(outer * perOuter, 4L * dim * chunk, (start, end) =>
            {
                Span<T> max = stackalloc T[chunk];
                Span<T> sum = stackalloc T[chunk];
                for (int t = start; t < end; t++)
                {
                    int o = t / perOuter, c0 = t % perOuter * chunk, len = Math.Min(chunk, inner - c0);
                    SoftmaxColumns(xs, ys, o * dim * inner + c0, dim, inner, max[..len], sum[..len], log);
                }
            });
        }
    }

    private static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);
        T sum = Transcendentals.ExpShiftedSum(x, max, y);
        if (log) LaneMaps.Map(x, y, new ShiftTwice<T>(max, T.Log(sum)));
        else TensorPrimitives.Multiply(y, T.One / sum, y);
    }

    /// <summary>Softmax down a column block: <paramref name="max"/>.Length columns, rows <paramref name="inner"/> apart.</summary>
    private static void SoftmaxColumns<T>(Ptr<T> xs, Ptr<T> ys, int offset, int dim, int inner, Span<T> max, Span<T> sum, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int len = max.Length;
        xs.Slice(offset, len).CopyTo(max);
        for (int d = 1; d < dim; d++) TensorPrimitives.Max(max, xs.Slice(offset + d * inner, len), max);
        sum.Clear();
        for (int d = 0; d < dim; d++)
        {
            var yd = ys.Slice(offset + d * inner, len);
            TensorPrimitives.Subtract(xs.Slice(offset + d * inner, len), max, yd);
            TensorPrimitives.Exp(yd, yd);
            TensorPrimitives.Add(sum, yd, sum);
        }
        if (log)
        {
            TensorPrimitives.Log(sum, sum);
            for (int d = 0; d < dim; d++)
            {
                var yd = ys.Slice(offset + d * inner, len);
                TensorPrimitives.Subtract(xs.Slice(offset + d * inner, len), max, yd);
                TensorPrimitives.Subtract(yd, sum, yd);
            }
        }
        else
        {
            TensorPrimitives.Divide(T.One, sum, sum);
            for (int d = 0; d < dim; d++)
            {
                var yd = ys.Slice(offset + d * inner, len);
                TensorPrimitives.Multiply(yd, sum, yd);
            }
        }
    }

    private static unsafe void SoftmaxBackwardCore<T>(int outer, int dim, int inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSoftmaxSizes(log ? "LogSoftmaxBackward" : "SoftmaxBackward", outer, dim, inner, y.Length, dy.Length, dx.Length);
        if (n == 0) return;
        fixed (T* py = y, pg = dy, pdx = dx)
        {
            var ys = new Ptr<T>(py, n);
            var gs = new Ptr<T>(pg, n);
            var dxs = new Ptr<T>(pdx, n);
            if (inner == 1)
            {
                RangeParallel.For(outer, dim * 3L, (start, end) =>
                {
                    for (int r = start; r < end; r++)
                    {
                        var yr = ys.Slice(r * dim, dim);
                        var gr = gs.Slice(r * dim, dim);
                        var dr = dxs.Slice(r * dim, dim);
                        if (log)
                        {
                            T total = T.CreateTruncating(LaneMaps.Sum<T>(gr));
                            TensorPrimitives.Exp(yr, dr);
                            TensorPrimitives.MultiplyAdd(dr, -total, gr, dr);
                        }
                        else
                        {
                            T dot = T.CreateTruncating(LaneMaps.Dot<T>(gr, yr));
                            TensorPrimitives.AddMultiply(gr, -dot, yr, dr);
                        }
                    }
                });
                return;
            }
            int chunk = Math.Min(inner, SoftmaxColumnChunk), perOuter = (inner + chunk - 1) / chunk;
            RangeParallel.For(outer * perOuter, 3L * dim * chunk, (start, end) =>
            {
                Span<T> acc = stackalloc T[chunk];
                for (int t = start; t < end; t++)
                {
                    int o = t / perOuter, c0 = t % perOuter * chunk, len = Math.Min(chunk, inner - c0);
                    int offset = o * dim * inner + c0;
                    var a = acc[..len];
                    a.Clear();
                    for (int d = 0; d < dim; d++)
                    {
                        if (log) TensorPrimitives.Add(a, gs.Slice(offset + d * inner, len), a);
                        else TensorPrimitives.MultiplyAdd(gs.Slice(offset + d * inner, len), ys.Slice(offset + d * inner, len), a, a);
                    }
                    for (int d = 0; d < dim; d++)
                    {
                        var yd = ys.Slice(offset + d * inner, len);
                        var gd = gs.Slice(offset + d * inner, len);
                        var dd = dxs.Slice(offset + d * inner, len);
                        if (log)
                        {
                            TensorPrimitives.Exp(yd, dd);
                            TensorPrimitives.Multiply(dd, a, dd);
                            TensorPrimitives.Subtract(gd, dd, dd);
                        }
                        else
                        {
                            TensorPrimitives.Subtract(gd, a, dd);
                            TensorPrimitives.Multiply(dd, yd, dd);
                        }
                    }
                }
            });
        }
    }

    /// <summary>y = (x − a) − b: log-softmax's output, subtracting the max before the log-sum for accuracy.</summary>
    private readonly struct ShiftTwice<T>(T a, T b) : ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _a = a, _b = b;
        public T Apply(T x) => x - _a - _b;
        public Vector256<T> Apply(Vector256<T> x) => x - Vector256.Create(_a) - Vector256.Create(_b);
        public Vector512<T> Apply(Vector512<T> x) => x - Vector512.Create(_a) - Vector512.Create(_b);
    }
}
