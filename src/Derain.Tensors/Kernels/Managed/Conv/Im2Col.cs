using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed.Conv;

/// <summary>
/// vol2col and its adjoint col2vol for one group of one image, over a chunk of whole output rows.
/// The column matrix has one row per (input channel, kd, kh, kw) and one column per output position of the
/// chunk: col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw],
/// zero where that falls in the padding. Each (channel, tap) row touches only its own input channel, so both
/// directions can run channels in parallel without write conflicts.
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Fills col (ColumnRows × rows·OW) from the group's input channels x (InChannelsPerGroup × InPlane).</summary>
    public static void Gather<T>(ConvPlan p, T* x, T* col, int firstRow, int rows, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint xp = (nint)x, cp = (nint)col;
        ForEachChannel(p.InChannelsPerGroup, threads, c => GatherChannel(p, (T*)xp, (T*)cp, c, firstRow, rows));
    }

    /// <summary>Adds col (ColumnRows × rows·OW) into the group's input-gradient channels dx (the adjoint of <see cref="Gather"/>).</summary>
    public static void ScatterAdd<T>(ConvPlan p, T* col, T* dx, int firstRow, int rows, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint xp = (nint)dx, cp = (nint)col;
        ForEachChannel(p.InChannelsPerGroup, threads, c => ScatterChannel(p, (T*)cp, (T*)xp, c, firstRow, rows));
    }

    private static void ForEachChannel(int channels, int threads, Action<int> body)
    {
        if (threads <= 1 || channels == 1)
        {
            for (int c = 0; c < channels; c++) body(c);
            return;
        }
        Parallel.For(0, channels, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    private static void GatherChannel<T>(ConvPlan p, T* x, T* col, int c, int firstRow, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long len = (long)rows * p.OW;
        T* plane = x + (long)c * p.InPlane;
        for (int kd = 0; kd < p.KD; kd++)
            for (int kh = 0; kh < p.KH; kh++)
                for (int kw = 0; kw < p.KW; kw++)
                {
                    T* dst = col + (((long)c * p.KD + kd) * p.KH * p.KW + (long)kh * p.KW + kw) * len;
                    var (lo, hi) = ValidColumns(p, kw);
                    int iw0 = kw * p.DW - p.PW;
                    for (int r = 0; r < rows; r++)
                    {
                        var outRow = new Span<T>(dst + (long)r * p.OW, p.OW);
                        T* src = InputRow(p, plane, firstRow + r, kd, kh);
                        if (src == null || lo >= hi)
                        {
                            outRow.Clear();
                            continue;
                        }
                        outRow[..lo].Clear();
                        outRow[hi..].Clear();
                        if (p.SW == 1)
                        {
                            new ReadOnlySpan<T>(src + iw0 + lo, hi - lo).CopyTo(outRow[lo..hi]);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++) outRow[ow] = src[iw0 + ow * p.SW];
                        }
                    }
                }
    }

    private static void ScatterChannel<T>(ConvPlan p, T* col, T* dx, int c, int firstRow, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long len = (long)rows * p.OW;
        T* plane = dx + (long)c * p.InPlane;
        for (int kd = 0; kd < p.KD; kd++)
            for (int kh = 0; kh < p.KH; kh++)
                for (int kw = 0; kw < p.KW; kw++)
                {
                    T* src = col + (((long)c * p.KD + kd) * p.KH * p.KW + (long)kh * p.KW + kw) * len;
                    var (lo, hi) = ValidColumns(p, kw);
                    if (lo >= hi) continue;
                    int iw0 = kw * p.DW - p.PW;
                    for (int r = 0; r < rows; r++)
                    {
                        T* dst = InputRow(p, plane, firstRow + r, kd, kh);
                        if (dst == null) continue;
                        T* s = src + (long)r * p.OW;
                        if (p.SW == 1)
                        {
                            var d = new Span<T>(dst + iw0 + lo, hi - lo);
                            TensorPrimitives.Add(d, new ReadOnlySpan<T>(s + lo, hi - lo), d);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++) dst[iw0 + ow * p.SW] += s[ow];
                        }
                    }
                }
    }

    /// <summary>The input row read by output row <paramref name="outRow"/> at taps (kd, kh), or null in the padding.</summary>
    private static T* InputRow<T>(ConvPlan p, T* plane, int outRow, int kd, int kh) where T : unmanaged
    {
        int od = outRow / p.OH, oh = outRow - od * p.OH;
        int id = od * p.SD - p.PD + kd * p.DD;
        int ih = oh * p.SH - p.PH + kh * p.DH;
        if ((uint)id >= (uint)p.D || (uint)ih >= (uint)p.H) return null;
        return plane + ((long)id * p.H + ih) * p.W;
    }

    /// <summary>Output columns [lo, hi) whose input column ow·sw − pw + kw·dw lies inside the row.</summary>
    private static (int Lo, int Hi) ValidColumns(ConvPlan p, int kw)
    {
        int iw0 = kw * p.DW - p.PW;
        int lo = iw0 >= 0 ? 0 : (-iw0 + p.SW - 1) / p.SW;
        int last = p.W - 1 - iw0;
        int hi = last < 0 ? 0 : Math.Min(p.OW, last / p.SW + 1);
        return (Math.Min(lo, p.OW), Math.Max(hi, Math.Min(lo, p.OW)));
    }
}
