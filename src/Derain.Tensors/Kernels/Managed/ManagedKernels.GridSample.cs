using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// grid_sample (torch.nn.functional.grid_sample, 4-D). Every image first gets a table of the corners of each
/// output pixel (<see cref="CornerTable{T}"/>, computed once), which every channel plane then reuses; planes stay
/// in NCHW, so no transposes are needed.
/// </summary>
public partial class ManagedKernels
{
    /// <summary>Output pixels per task when several tasks share one plane (or, in the grid gradient, all planes).</summary>
    private const int GridBand = 1024;

    /// <inheritdoc/>
    public virtual unsafe void GridSample2dForward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        int bands = Math.Clamp((4 * KernelBackend.Threads + c - 1) / c, 1, Math.Max(1, outPlane / GridBand));
        int bandLen = (outPlane + bands - 1) / bands;
        var table = CornerTable<T>.Rent(outPlane);
        fixed (T* px = x, pg = grid, py = y)
        {
            for (int n = 0; n < g.N; n++)
            {
                BuildCornerTable(g, pg + (nint)n * outPlane * 2, table);
                T* xn = px + (nint)n * c * inPlane, yn = py + (nint)n * c * outPlane;
                Parallel.For(0, c * bands, ParallelOptions, t =>
                {
                    int ch = t / bands, p0 = t % bands * bandLen, p1 = Math.Min(outPlane, p0 + bandLen);
                    GridSamplePlane(table, xn + (nint)ch * inPlane, p0, p1, yn + (nint)ch * outPlane);
                });
            }
        }
    }

    /// <inheritdoc/>
    public virtual unsafe void GridSample2dBackward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid,
        ReadOnlySpan<T> dy, Span<T> dx, Span<T> dGrid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool wantX = !dx.IsEmpty, wantGrid = !dGrid.IsEmpty;
        if (wantGrid && g.Mode == GridSampleMode.Nearest)
        {
            // Nearest sampling is piecewise constant in the grid: PyTorch returns a zero grid gradient.
            dGrid.Clear();
            wantGrid = false;
        }
        if (!wantX && !wantGrid) return;
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, threads = KernelBackend.Threads;
        // The input gradient scatters into shared pixels: tasks own whole channel planes when there are enough
        // of them, otherwise bands of output pixels accumulate into private copies that are summed at the end.
        bool byChannel = c >= 2 * threads || threads == 1;
        int scatterTasks = byChannel ? c : Math.Clamp(outPlane / GridBand, 1, threads);
        var table = CornerTable<T>.Rent(outPlane);
        using var acc = new Scratch<T>(wantX && !byChannel ? (scatterTasks - 1) * c * inPlane : 0);
        fixed (T* px = x, pg = grid, pdy = dy, pdx = dx, pdg = dGrid)
        {
            for (int n = 0; n < g.N; n++)
            {
                BuildCornerTable(g, pg + (nint)n * outPlane * 2, table);
                T* xn = px + (nint)n * c * inPlane, gyn = pdy + (nint)n * c * outPlane;
                if (wantGrid) GridGradient(g, table, xn, gyn, pdg + (nint)n * outPlane * 2);
                if (!wantX) continue;
                T* dxn = pdx + (nint)n * c * inPlane, extra = acc.Ptr;
                if (byChannel)
                    Parallel.For(0, c, ParallelOptions, ch =>
                    {
                        T* dst = dxn + (nint)ch * inPlane, gy = gyn + (nint)ch * outPlane;
                        new Span<T>(dst, inPlane).Clear();
                        for (int p = 0; p < outPlane; p++) table.Scatter(dst, p, gy[p]);
                    });
                else
                {
                    Parallel.For(0, scatterTasks, ParallelOptions, t =>
                    {
                        T* dst = t == 0 ? dxn : extra + (nint)(t - 1) * c * inPlane;
                        new Span<T>(dst, c * inPlane).Clear();
                        int p0 = (int)((long)outPlane * t / scatterTasks), p1 = (int)((long)outPlane * (t + 1) / scatterTasks);
                        for (int ch = 0; ch < c; ch++)
                        {
                            T* d = dst + (nint)ch * inPlane, gy = gyn + (nint)ch * outPlane;
                            for (int p = p0; p < p1; p++) table.Scatter(d, p, gy[p]);
                        }
                    });
                    for (int t = 1; t < scatterTasks; t++) ChannelRuns.Axpy(extra + (nint)(t - 1) * c * inPlane, T.One, dxn, c * inPlane);
                }
            }
        }
    }

    /// <summary>Corners and ∂(ix, iy)/∂(gx, gy) of every output pixel of one image.</summary>
    private static unsafe void BuildCornerTable<T>(GridSampleGeometry g, T* grid, CornerTable<T> table)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Parallel.For(0, g.OutH, ParallelOptions, row =>
        {
            for (int p = row * g.OutW, end = p + g.OutW; p < end; p++)
            {
                var k = GridCorners(g, grid[2 * p], grid[2 * p + 1], out T mx, out T my);
                table.Set(p, k, mx, my);
            }
        });
    }

    /// <summary>
    /// ∂/∂grid = Σ_c dy_c · ∂sample_c/∂(ix, iy) · ∂(ix, iy)/∂grid (grid_sampler_2d_backward). Tasks own bands of
    /// output pixels and sweep the planes one after another, accumulating the band's per-corner sums.
    /// </summary>
    private static unsafe void GridGradient<T>(GridSampleGeometry g, CornerTable<T> table, T* x, T* gy, T* dGrid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        int bands = (outPlane + GridBand - 1) / GridBand;
        Parallel.For(0, bands, ParallelOptions, b =>
        {
            int p0 = b * GridBand, len = Math.Min(GridBand, outPlane - p0);
            T* sums = stackalloc T[4 * GridBand];
            new Span<T>(sums, 4 * len).Clear();
            for (int ch = 0; ch < c; ch++)
                GridCornerSums(table, x + (nint)ch * inPlane, gy + (nint)ch * outPlane, p0, len, sums);
            for (int j = 0; j < len; j++)
            {
                int p = p0 + j;
                T s00 = sums[j], s01 = sums[len + j], s10 = sums[2 * len + j], s11 = sums[3 * len + j];
                T lx = table.Lx[p], ly = table.Ly[p];
                // ∂/∂ix and ∂/∂iy of the bilinear sample (outside corners contribute nothing: their sums are 0).
                dGrid[2 * p] = table.MultX[p] * ((T.One - ly) * (s01 - s00) + ly * (s11 - s10));
                dGrid[2 * p + 1] = table.MultY[p] * ((T.One - lx) * (s10 - s00) + lx * (s11 - s01));
            }
        });
    }

    /// <summary>
    /// Corners of grid point (gx, gy): unnormalised to pixel units (align_corners: −1 and 1 are the centres of
    /// the edge pixels, ix = (gx + 1)/2·(W − 1); otherwise the outer edges, ix = ((gx + 1)·W − 1)/2), clamped
    /// into the image for padding_mode='border' (grid_sampler_compute_source_index). multX/multY are
    /// ∂ix/∂gx and ∂iy/∂gy, 0 where border clamping is active (PyTorch's clip_coordinates_set_grad: also at
    /// exactly 0 and W − 1).
    /// </summary>
    private static Corners<T> GridCorners<T>(GridSampleGeometry g, T gx, T gy, out T multX, out T multY)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double ix = Unnormalize(double.CreateTruncating(gx), g.InW, g.AlignCorners, out double mx);
        double iy = Unnormalize(double.CreateTruncating(gy), g.InH, g.AlignCorners, out double my);
        if (g.Padding == GridSamplePadding.Border)
        {
            ix = ClipToBorder(ix, g.InW, ref mx);
            iy = ClipToBorder(iy, g.InH, ref my);
        }
        multX = T.CreateTruncating(mx);
        multY = T.CreateTruncating(my);
        return g.Mode == GridSampleMode.Bilinear ? Corners<T>.Bilinear(iy, ix, g.InH, g.InW) : Corners<T>.Nearest(iy, ix, g.InH, g.InW);
    }

    private static double Unnormalize(double coord, int size, bool alignCorners, out double grad)
    {
        if (alignCorners)
        {
            grad = (size - 1) / 2.0;
            return (coord + 1) / 2 * (size - 1);
        }
        grad = size / 2.0;
        return ((coord + 1) * size - 1) / 2;
    }

    private static double ClipToBorder(double v, int size, ref double grad)
    {
        if (v <= 0) { grad = 0; return 0; }
        double max = size - 1;
        if (v >= max) { grad = 0; return max; }
        return v;
    }
}
