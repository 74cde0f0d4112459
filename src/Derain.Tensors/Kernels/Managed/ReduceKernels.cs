using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Sum and max reductions over a <see cref="ReducePlan"/>, their adjoints (broadcasting a reduced tensor back,
/// routing a max gradient to the maxima), all vectorised over the contiguous inner runs and parallel over
/// outputs. Sums are deterministic: every partial is combined in a fixed order, whatever the thread count.
/// </summary>
internal static class ReduceKernels
{
    /// <summary>Columns per task when the innermost dimension is kept.</summary>
    private const int ColumnChunk = 1024;

    /// <summary>Rows summed in the element type before the partial row joins the output (bounds float error growth).</summary>
    private const int FlushRows = 256;

    /// <summary>Elements per parallel piece when a single output reduces a long run.</summary>
    private const int SegmentLength = 32 * 1024;

    public static unsafe void Sum<T>(ReducePlan p, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            if (p.InnerReduced && p.Outputs == 1)
            {
                var seg = Segments(p, p.BaseOffset(0));
                var partial = new double[seg.Length];
                RangeParallel.For(seg.Length, SegmentLength, (s, e) =>
                {
                    for (int i = s; i < e; i++) partial[i] = LaneMaps.Sum<T>(xs.Slice(seg[i].Offset, seg[i].Length));
                });
                double total = 0;
                foreach (double v in partial) total += v;
                ys[0] = T.CreateTruncating(total);
            }
            else if (p.InnerReduced)
            {
                RangeParallel.For(p.Outputs, p.Count, (s, e) =>
                {
                    for (int o = s; o < e; o++)
                    {
                        int b = p.BaseOffset(o);
                        double acc = 0;
                        foreach (int off in p.Offsets) acc += LaneMaps.Sum<T>(xs.Slice(b + off, p.Run));
                        ys[o] = T.CreateTruncating(acc);
                    }
                });
            }
            else
            {
                ForColumnBlocks<T>(p, (row, c0, len, scratch) =>
                {
                    int b = p.BaseOffset(row) + c0;
                    var dst = ys.Slice(row * p.Run + c0, len);
                    dst.Clear();
                    var offs = p.Offsets;
                    for (int k = 0; k < offs.Length; k += FlushRows)
                    {
                        var acc = scratch[..len];
                        xs.Slice(b + offs[k], len).CopyTo(acc);
                        int end = Math.Min(offs.Length, k + FlushRows);
                        for (int j = k + 1; j < end; j++) TensorPrimitives.Add(acc, xs.Slice(b + offs[j], len), acc);
                        TensorPrimitives.Add(dst, acc, dst);
                    }
                });
            }
        }
    }

    /// <summary>Maximum per output (NaN if any reduced element is NaN, like torch). Requires Count &gt; 0.</summary>
    public static unsafe void Max<T>(ReducePlan p, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p.Count == 0) throw new InvalidOperationException("ReduceKernels.Max: empty reduction.");
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            if (p.InnerReduced && p.Outputs == 1)
            {
                var seg = Segments(p, p.BaseOffset(0));
                var partial = new T[seg.Length];
                RangeParallel.For(seg.Length, SegmentLength, (s, e) =>
                {
                    for (int i = s; i < e; i++) partial[i] = TensorPrimitives.Max<T>(xs.Slice(seg[i].Offset, seg[i].Length));
                });
                T m = partial[0];
                foreach (T v in partial) m = T.Max(m, v);
                ys[0] = m;
            }
            else if (p.InnerReduced)
            {
                RangeParallel.For(p.Outputs, p.Count, (s, e) =>
                {
                    for (int o = s; o < e; o++)
                    {
                        int b = p.BaseOffset(o);
                        T m = TensorPrimitives.Max<T>(xs.Slice(b + p.Offsets[0], p.Run));
                        for (int k = 1; k < p.Offsets.Length; k++) m = T.Max(m, TensorPrimitives.Max<T>(xs.Slice(b + p.Offsets[k], p.Run)));
                        ys[o] = m;
                    }
                });
            }
            else
            {
                ForColumnBlocks<T>(p, (row, c0, len, scratch) =>
                {
                    int b = p.BaseOffset(row) + c0;
                    var dst = ys.Slice(row * p.Run + c0, len);
                    xs.Slice(b + p.Offsets[0], len).CopyTo(dst);
                    for (int k = 1; k < p.Offsets.Length; k++) TensorPrimitives.Max(dst, xs.Slice(b + p.Offsets[k], len), dst);
                });
            }
        }
    }

    /// <summary>dst (input layout) = src[output]·scale: the adjoint of Sum (scale 1) and of Mean (scale 1/Count).</summary>
    public static unsafe void Expand<T>(ReducePlan p, ReadOnlySpan<T> src, T scale, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* ps = src, pd = dst)
        {
            var ss = new Ptr<T>(ps, src.Length);
            var ds = new Ptr<T>(pd, dst.Length);
            if (p.InnerReduced && p.Outputs == 1)
            {
                var seg = Segments(p, p.BaseOffset(0));
                T v = ss[0] * scale;
                RangeParallel.For(seg.Length, SegmentLength, (s, e) =>
                {
                    for (int i = s; i < e; i++) ds.Slice(seg[i].Offset, seg[i].Length).Fill(v);
                });
            }
            else if (p.InnerReduced)
            {
                RangeParallel.For(p.Outputs, p.Count, (s, e) =>
                {
                    for (int o = s; o < e; o++)
                    {
                        int b = p.BaseOffset(o);
                        T v = ss[o] * scale;
                        foreach (int off in p.Offsets) ds.Slice(b + off, p.Run).Fill(v);
                    }
                });
            }
            else
            {
                ForColumnBlocks<T>(p, (row, c0, len, scratch) =>
                {
                    int b = p.BaseOffset(row) + c0;
                    var v = scratch[..len];
                    TensorPrimitives.Multiply(ss.Slice(row * p.Run + c0, len), scale, v);
                    foreach (int off in p.Offsets) v.CopyTo(ds.Slice(b + off, len));
                });
            }
        }
    }

    /// <summary>
    /// Gradient of Max: each output's gradient is split evenly among the elements equal to its maximum
    /// (torch.amax's rule; NaN maxima go to the NaN elements). dx is overwritten.
    /// </summary>
    public static unsafe void MaxGrad<T>(ReducePlan p, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x, py = y, pg = g, pdx = dx)
        {
            var xs = new Ptr<T>(px, x.Length);
            var ys = new Ptr<T>(py, y.Length);
            var gs = new Ptr<T>(pg, g.Length);
            var dxs = new Ptr<T>(pdx, dx.Length);
            if (p.InnerReduced && p.Outputs == 1)
            {
                var seg = Segments(p, p.BaseOffset(0));
                var counts = new double[seg.Length];
                T m = ys[0];
                RangeParallel.For(seg.Length, SegmentLength, (s, e) =>
                {
                    for (int i = s; i < e; i++)
                    {
                        var run = xs.Slice(seg[i].Offset, seg[i].Length);
                        counts[i] = LaneMaps.Sum(run, run, new MatchCountLane<T>(m));
                    }
                });
                double count = 0;
                foreach (double c in counts) count += c;
                T v = gs[0] / T.CreateTruncating(count);
                RangeParallel.For(seg.Length, SegmentLength, (s, e) =>
                {
                    for (int i = s; i < e; i++)
                        LaneMaps.Map(xs.Slice(seg[i].Offset, seg[i].Length), dxs.Slice(seg[i].Offset, seg[i].Length), new MatchFillLane<T>(m, v));
                });
            }
            else if (p.InnerReduced)
            {
                RangeParallel.For(p.Outputs, 2L * p.Count, (s, e) =>
                {
                    for (int o = s; o < e; o++)
                    {
                        int b = p.BaseOffset(o);
                        T m = ys[o];
                        double count = 0;
                        foreach (int off in p.Offsets)
                        {
                            var run = xs.Slice(b + off, p.Run);
                            count += LaneMaps.Sum(run, run, new MatchCountLane<T>(m));
                        }
                        T v = gs[o] / T.CreateTruncating(count);
                        foreach (int off in p.Offsets)
                            LaneMaps.Map(xs.Slice(b + off, p.Run), dxs.Slice(b + off, p.Run), new MatchFillLane<T>(m, v));
                    }
                });
            }
            else
            {
                ForColumnBlocks<T>(p, (row, c0, len, scratch) =>
                {
                    int b = p.BaseOffset(row) + c0;
                    var m = ys.Slice(row * p.Run + c0, len);
                    var share = scratch[..len];
                    share.Clear();
                    foreach (int off in p.Offsets) LaneMaps.Map(xs.Slice(b + off, len), m, share, share, new MatchAccumulateLane<T>());
                    TensorPrimitives.Divide(gs.Slice(row * p.Run + c0, len), share, share);
                    foreach (int off in p.Offsets)
                        LaneMaps.Map(xs.Slice(b + off, len), m, share, dxs.Slice(b + off, len), new MatchSelectLane<T>());
                });
            }
        }
    }

    /// <summary>The reduced elements of a lone output as contiguous pieces small enough to share between threads.</summary>
    private static (int Offset, int Length)[] Segments(ReducePlan p, int baseOffset)
    {
        int perRun = p.Offsets.Length >= 16 || p.Run <= SegmentLength ? 1 : (p.Run + SegmentLength - 1) / SegmentLength;
        int piece = perRun == 1 ? p.Run : SegmentLength;
        var seg = new (int, int)[p.Offsets.Length * perRun];
        for (int k = 0, i = 0; k < p.Offsets.Length; k++)
            for (int j = 0; j < perRun; j++, i++)
                seg[i] = (baseOffset + p.Offsets[k] + j * piece, Math.Min(piece, p.Run - j * piece));
        return seg;
    }

    private delegate void ColumnBlock<T>(int row, int c0, int length, Span<T> scratch);

    /// <summary>Runs <paramref name="body"/> over (output row, column block) pairs of a kept-inner plan, in parallel.</summary>
    private static void ForColumnBlocks<T>(ReducePlan p, ColumnBlock<T> body) where T : unmanaged
    {
        if (p.Run == 0 || p.Bases == 0) return;
        int chunk = Math.Min(p.Run, ColumnChunk), per = (p.Run + chunk - 1) / chunk;
        RangeParallel.For(p.Bases * per, (long)Math.Max(p.Count, 1) * chunk, (s, e) =>
        {
            var scratch = new T[chunk];
            for (int t = s; t < e; t++)
            {
                int row = t / per, c0 = t % per * chunk;
                body(row, c0, Math.Min(chunk, p.Run - c0), scratch);
            }
        });
    }
}
