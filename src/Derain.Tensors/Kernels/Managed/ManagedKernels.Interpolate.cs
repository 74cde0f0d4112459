using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// interpolate (torch.nn.functional.interpolate, bilinear and bicubic, 4-D) as two separable passes: a
/// horizontal pass (rows independent, taps gathered within a row) and a vertical pass (columns independent,
/// vectorised over whole rows). The pass on the smaller intermediate runs first. The backward applies the
/// transposed passes in mirror order; the result is the exact adjoint of the forward.
/// </summary>
public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void Interpolate2dForward<T>(InterpolateGeometry g, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ty = AxisTaps<T>.Create(g.InH, g.OutH, g, g.ScaleH);
        var tx = AxisTaps<T>.Create(g.InW, g.OutW, g, g.ScaleW);
        bool horizontalFirst = g.InH <= g.OutH;
        using var tmp = new Scratch<T>(g.Planes * (horizontalFirst ? g.InH * g.OutW : g.OutH * g.InW));
        fixed (T* px = x, py = y)
        {
            if (horizontalFirst)
            {
                Horizontal(px, tmp.Ptr, g.Planes * g.InH, g.InW, g.OutW, tx, adjoint: false);
                Vertical(tmp.Ptr, py, g.Planes, g.InH, g.OutH, g.OutW, ty, adjoint: false);
            }
            else
            {
                Vertical(px, tmp.Ptr, g.Planes, g.InH, g.OutH, g.InW, ty, adjoint: false);
                Horizontal(tmp.Ptr, py, g.Planes * g.OutH, g.InW, g.OutW, tx, adjoint: false);
            }
        }
    }

    /// <inheritdoc/>
    public virtual unsafe void Interpolate2dBackward<T>(InterpolateGeometry g, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ty = AxisTaps<T>.Create(g.InH, g.OutH, g, g.ScaleH);
        var tx = AxisTaps<T>.Create(g.InW, g.OutW, g, g.ScaleW);
        bool verticalFirst = g.InH <= g.OutH;
        using var tmp = new Scratch<T>(g.Planes * (verticalFirst ? g.InH * g.OutW : g.OutH * g.InW));
        fixed (T* pdy = dy, pdx = dx)
        {
            if (verticalFirst)
            {
                Vertical(pdy, tmp.Ptr, g.Planes, g.InH, g.OutH, g.OutW, ty, adjoint: true);
                Horizontal(tmp.Ptr, pdx, g.Planes * g.InH, g.InW, g.OutW, tx, adjoint: true);
            }
            else
            {
                Horizontal(pdy, tmp.Ptr, g.Planes * g.OutH, g.InW, g.OutW, tx, adjoint: true);
                Vertical(tmp.Ptr, pdx, g.Planes, g.InH, g.OutH, g.InW, ty, adjoint: true);
            }
        }
    }

    /// <summary>One axis' taps with weights in the element type.</summary>
    private sealed class AxisTaps<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public required int Count { get; init; }
        public required int[] Index { get; init; }
        public required T[] Weight { get; init; }

        public static AxisTaps<T> Create(int inSize, int outSize, InterpolateGeometry g, double? scale)
        {
            var t = ResampleTaps.Create(inSize, outSize, g.Mode, g.AlignCorners, scale);
            return new AxisTaps<T> { Count = t.Count, Index = t.Index, Weight = [.. t.Weight.Select(T.CreateTruncating)] };
        }
    }

    /// <summary>
    /// Forward: dst[r, o] = Σ_j w[o, j]·src[r, idx[o, j]] over <paramref name="rows"/> rows of width inW → outW.
    /// Adjoint: dst[r, idx[o, j]] += w[o, j]·src[r, o] (src width outW, dst width inW).
    /// </summary>
    private static unsafe void Horizontal<T>(T* src, T* dst, int rows, int inW, int outW, AxisTaps<T> taps, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int perTask = Math.Max(1, 16384 / Math.Max(inW + outW, 1));
        int tasks = (rows + perTask - 1) / perTask;
        Parallel.For(0, tasks, ParallelOptions, t =>
        {
            int n = taps.Count;
            int[] idx = taps.Index;
            T[] w = taps.Weight;
            for (int r = t * perTask, end = Math.Min(rows, r + perTask); r < end; r++)
            {
                if (!adjoint)
                {
                    T* s = src + (nint)r * inW, d = dst + (nint)r * outW;
                    for (int o = 0; o < outW; o++)
                    {
                        T acc = T.Zero;
                        for (int j = 0; j < n; j++) acc += w[o * n + j] * s[idx[o * n + j]];
                        d[o] = acc;
                    }
                }
                else
                {
                    T* s = src + (nint)r * outW, d = dst + (nint)r * inW;
                    new Span<T>(d, inW).Clear();
                    for (int o = 0; o < outW; o++)
                    {
                        T v = s[o];
                        for (int j = 0; j < n; j++) d[idx[o * n + j]] += w[o * n + j] * v;
                    }
                }
            }
        });
    }

    /// <summary>
    /// Forward: dst[p, o, :] = Σ_i w[o, i]·src[p, idx[o, i], :] (planes of inH → outH rows, each
    /// <paramref name="width"/> wide). Adjoint: dst[p, idx[o, i], :] += w[o, i]·src[p, o, :]. Tasks own a
    /// plane and a band of columns, so the adjoint's accumulation needs no locks.
    /// </summary>
    private static unsafe void Vertical<T>(T* src, T* dst, int planes, int inH, int outH, int width, AxisTaps<T> taps, bool adjoint)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int MinBand = 64;
        int bands = Math.Clamp((4 * KernelBackend.Threads + planes - 1) / planes, 1, Math.Max(1, width / MinBand));
        int bandWidth = (width + bands - 1) / bands;
        Parallel.For(0, planes * bands, ParallelOptions, t =>
        {
            int p = t / bands, c0 = t % bands * bandWidth, len = Math.Min(bandWidth, width - c0);
            if (len <= 0) return;
            int n = taps.Count;
            int[] idx = taps.Index;
            T[] w = taps.Weight;
            int srcRows = adjoint ? outH : inH, dstRows = adjoint ? inH : outH;
            T* s = src + (nint)p * srcRows * width + c0, d = dst + (nint)p * dstRows * width + c0;
            if (!adjoint)
                for (int o = 0; o < outH; o++)
                {
                    T* row = d + (nint)o * width;
                    new Span<T>(row, len).Clear();
                    for (int i = 0; i < n; i++) ChannelRuns.Axpy(s + (nint)idx[o * n + i] * width, w[o * n + i], row, len);
                }
            else
            {
                for (int r = 0; r < inH; r++) new Span<T>(d + (nint)r * width, len).Clear();
                for (int o = 0; o < outH; o++)
                    for (int i = 0; i < n; i++) ChannelRuns.Axpy(s + (nint)o * width, w[o * n + i], d + (nint)idx[o * n + i] * width, len);
            }
        });
    }
}
