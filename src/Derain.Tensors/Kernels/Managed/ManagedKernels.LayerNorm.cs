using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void LayerNormForward<T>(int rows, int cols, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, T eps,
        Span<T> y, Span<T> mean, Span<T> rstd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckRowsCols("LayerNormForward", rows, cols, x.Length, y.Length);
        CheckLength("LayerNormForward", "mean", mean.Length, rows);
        CheckLength("LayerNormForward", "rstd", rstd.Length, rows);
        if (!weight.IsEmpty) CheckLength("LayerNormForward", "weight", weight.Length, cols);
        if (!bias.IsEmpty) CheckLength("LayerNormForward", "bias", bias.Length, cols);
        if (rows == 0) return;
        double epsD = double.CreateTruncating(eps);
        bool hasW = !weight.IsEmpty, hasB = !bias.IsEmpty;
        fixed (T* px = x, pw = weight, pb = bias, py = y, pm = mean, pr = rstd)
        {
            var xs = new Ptr<T>(px, n);
            var ys = new Ptr<T>(py, n);
            var ws = new Ptr<T>(pw, weight.Length);
            var bs = new Ptr<T>(pb, bias.Length);
            var ms = new Ptr<T>(pm, rows);
            var rs = new Ptr<T>(pr, rows);
            RangeParallel.For(rows, 4L * cols, (start, end) =>
            {
                for (int r = start; r < end; r++)
                {
                    var xr = xs.Slice(r * cols, cols);
                    var yr = ys.Slice(r * cols, cols);
                    T m = T.CreateTruncating(LaneMaps.Sum<T>(xr) / Math.Max(cols, 1));
                    double variance = LaneMaps.SumSquaredDeviations(xr, m) / Math.Max(cols, 1);
                    T rstdR = T.CreateTruncating(1.0 / Math.Sqrt(variance + epsD));
                    ms[r] = m;
                    rs[r] = rstdR;
                    if (hasW && hasB) LaneMaps.Map(xr, ws.All, bs.All, yr, new NormAffine<T>(m, rstdR));
                    else if (hasW) LaneMaps.Map(xr, ws.All, yr, new NormScale<T>(m, rstdR));
                    else if (hasB) LaneMaps.Map(xr, bs.All, yr, new NormShift<T>(m, rstdR));
                    else LaneMaps.Map(xr, yr, new CenterScaleShift<T>(m, rstdR, T.Zero));
                }
            });
        }
    }

    /// <inheritdoc/>
    public virtual unsafe void LayerNormBackward<T>(int rows, int cols, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dweight, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckRowsCols("LayerNormBackward", rows, cols, x.Length, dy.Length);
        CheckLength("LayerNormBackward", "mean", mean.Length, rows);
        CheckLength("LayerNormBackward", "rstd", rstd.Length, rows);
        bool hasW = !weight.IsEmpty, wantDx = !dx.IsEmpty, wantDw = !dweight.IsEmpty, wantDb = !dbias.IsEmpty;
        if (hasW) CheckLength("LayerNormBackward", "weight", weight.Length, cols);
        if (wantDx) CheckLength("LayerNormBackward", "dx", dx.Length, n);
        if (wantDw) CheckLength("LayerNormBackward", "dweight", dweight.Length, cols);
        if (wantDb) CheckLength("LayerNormBackward", "dbias", dbias.Length, cols);
        dweight.Clear();
        dbias.Clear();
        if (rows == 0 || cols == 0) return;

        // Weight and bias gradients sum over rows: each chunk of rows accumulates its own partial row
        // (no sharing between threads), and the partials are added at the end.
        int chunks = RangeParallel.ChunkCount(rows, 6L * cols);
        var dwPart = wantDw && chunks > 1 ? new T[chunks * cols] : null;
        var dbPart = wantDb && chunks > 1 ? new T[chunks * cols] : null;
        T invCols = T.One / T.CreateTruncating(cols);
        fixed (T* px = x, pg = dy, pw = weight, pm = mean, pr = rstd, pdx = dx, pdw = dweight, pdb = dbias)
        fixed (T* pdwp = dwPart, pdbp = dbPart)
        {
            var xs = new Ptr<T>(px, n);
            var gs = new Ptr<T>(pg, n);
            var ws = new Ptr<T>(pw, weight.Length);
            var ms = new Ptr<T>(pm, rows);
            var rs = new Ptr<T>(pr, rows);
            var dxs = new Ptr<T>(pdx, dx.Length);
            var dwOut = chunks > 1 ? new Ptr<T>(pdwp, dwPart?.Length ?? 0) : new Ptr<T>(pdw, dweight.Length);
            var dbOut = chunks > 1 ? new Ptr<T>(pdbp, dbPart?.Length ?? 0) : new Ptr<T>(pdb, dbias.Length);
            RangeParallel.ForChunks(rows, chunks, (c, start, end) =>
            {
                var dwAcc = wantDw ? dwOut.Slice(c * cols, cols) : default;
                var dbAcc = wantDb ? dbOut.Slice(c * cols, cols) : default;
                for (int r = start; r < end; r++)
                {
                    var xr = xs.Slice(r * cols, cols);
                    var gr = gs.Slice(r * cols, cols);
                    T m = ms[r], rstdR = rs[r], c1 = T.Zero, c2 = T.Zero;
                    if (wantDx)
                    {
                        // g·w is the gradient w.r.t. the normalised row x̂; dx removes its mean and its projection on x̂.
                        var (s1, s2) = LayerNormRows.GradientSums(gr, xr, hasW ? ws.All : default, m);
                        c1 = T.CreateTruncating(s1) * invCols;
                        c2 = T.CreateTruncating(s2) * invCols * rstdR * rstdR;
                    }
                    LayerNormRows.Apply(gr, xr, hasW ? ws.All : default, m, rstdR, c1, c2,
                        wantDx ? dxs.Slice(r * cols, cols) : default, dwAcc, dbAcc);
                }
            });
        }
        for (int c = 0; c < chunks && chunks > 1; c++)
        {
            if (dwPart is not null) TensorPrimitives.Add(dweight, dwPart.AsSpan(c * cols, cols), dweight);
            if (dbPart is not null) TensorPrimitives.Add(dbias, dbPart.AsSpan(c * cols, cols), dbias);
        }
    }

    private static int CheckRowsCols(string kernel, int rows, int cols, params int[] lengths)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"{kernel}: negative size ({rows} rows of {cols}).");
        long n = (long)rows * cols;
        foreach (int len in lengths)
            if (len != n) throw new ArgumentException($"{kernel}: buffer of {len} elements for {rows} rows of {cols} ({n} elements).");
        return (int)n;
    }

    private static void CheckLength(string kernel, string what, int length, long expected)
    {
        if (length != expected) throw new ArgumentException($"{kernel}: {what} has {length} elements, expected {expected}.");
    }
}
