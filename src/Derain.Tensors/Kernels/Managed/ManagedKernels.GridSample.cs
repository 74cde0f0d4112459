using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// grid_sample (torch.nn.functional.grid_sample, 4-D). Output pixels are processed in blocks: each block first
/// gets a table of its pixels' corners (<see cref="CornerTable{T}"/>, computed once), which every channel plane
/// then reuses. Planes stay in NCHW, so no transposes are needed, and the table stays small and cache-resident.
/// </summary>
public partial class ManagedKernels
{
    /// <summary>Output pixels per task when several tasks share one plane (or, in the grid gradient, all planes).</summary>
    private const int GridBand = 1024;

    /// <summary>Output pixels whose corners are tabulated at once.</summary>
    private const int GridBlock = 16 * GridBand;

    /// <inheritdoc/>
    public virtual unsafe void GridSample2dForward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        var table = CornerTable<T>.Rent(Math.Min(outPlane, GridBlock));
        fixed (T* px = x, pg = grid, py = y)
        {
            for (int n = 0; n < g.N; n++)
                for (int b0 = 0; b0 < outPlane; b0 += GridBlock)
                {
                    int len = Math.Min(GridBlock, outPlane - b0);
                    BuildCornerTable(g, pg + ((nint)n * outPlane + b0) * 2, len, table);
                    int bands = Math.Clamp((4 * KernelBackend.Threads + c - 1) / c, 1, Math.Max(1, len / GridBand));
                    int bandLen = (len + bands - 1) / bands;
                    T* xn = px + (nint)n * c * inPlane, yn = py + (nint)n * c * outPlane + b0;
                    Parallel.For(0, c * bands, ParallelOptions, t =>
                    {
                        int ch = t / bands, j0 = t % bands * bandLen, j1 = Math.Min(len, j0 + bandLen);
                        GridSamplePlane(table, xn + (nint)ch * inPlane, j0, j1, yn + (nint)ch * outPlane);
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
        var table = CornerTable<T>.Rent(Math.Min(outPlane, GridBlock));
        using var acc = new Scratch<T>(wantX && !byChannel ? (scatterTasks - 1) * c * inPlane : 0);
        if (wantX) dx.Clear();
        acc.Span.Clear();
        fixed (T* px = x, pg = grid, pdy = dy, pdx = dx, pdg = dGrid)
        {
            for (int n = 0; n < g.N; n++)
            {
                T* xn = px + (nint)n * c * inPlane, dxn = pdx + (nint)n * c * inPlane, extra = acc.Ptr;
                for (int b0 = 0; b0 < outPlane; b0 += GridBlock)
                {
                    int len = Math.Min(GridBlock, outPlane - b0);
                    BuildCornerTable(g, pg + ((nint)n * outPlane + b0) * 2, len, table);
                    T* gyn = pdy + (nint)n * c * outPlane + b0;
                    if (wantGrid) GridGradient(g, table, len, xn, gyn, pdg + ((nint)n * outPlane + b0) * 2);
                    if (!wantX) continue;
                    if (byChannel)
                        Parallel.For(0, c, ParallelOptions, ch =>
                        {
                            T* dst = dxn + (nint)ch * inPlane, gy = gyn + (nint)ch * outPlane;
                            for (int j = 0; j < len; j++) table.Scatter(dst, j, gy[j]);
                        });
                    else
                        Parallel.For(0, scatterTasks, ParallelOptions, t =>
                        {
                            T* dst = t == 0 ? dxn : extra + (nint)(t - 1) * c * inPlane;
                            int j0 = (int)((long)len * t / scatterTasks), j1 = (int)((long)len * (t + 1) / scatterTasks);
                            for (int ch = 0; ch < c; ch++)
                            {
                                T* d = dst + (nint)ch * inPlane, gy = gyn + (nint)ch * outPlane;
                                for (int j = j0; j < j1; j++) table.Scatter(d, j, gy[j]);
                            }
                        });
                }
                if (wantX && !byChannel)
                    for (int t = 1; t < scatterTasks; t++)
                    {
                        T* part = extra + (nint)(t - 1) * c * inPlane;
                        ChannelRuns.Axpy(part, T.One, dxn, c * inPlane);
                        new Span<T>(part, c * inPlane).Clear();
                    }
            }
        }
    }

    /// <summary>Corners and ∂(ix, iy)/∂(gx, gy) of <paramref name="len"/> output pixels from their grid points.</summary>
    private static unsafe void BuildCornerTable<T>(GridSampleGeometry g, T* grid, int len, CornerTable<T> table)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tasks = (len + GridBand - 1) / GridBand;
        Parallel.For(0, tasks, ParallelOptions, t =>
        {
            for (int j = t * GridBand, end = Math.Min(len, j + GridBand); j < end; j++)
            {
                var k = GridCorners(g, grid[2 * j], grid[2 * j + 1], out T mx, out T my);
                table.Set(j, k, mx, my);
            }
        });
    }

    /// <summary>
    /// ∂/∂grid = Σ_c dy_c · ∂sample_c/∂(ix, iy) · ∂(ix, iy)/∂grid (grid_sampler_2d_backward) for the
    /// <paramref name="len"/> pixels of a table. Tasks own bands of pixels and sweep the planes one after
    /// another, accumulating the band's per-corner sums.
    /// </summary>
    private static unsafe void GridGradient<T>(GridSampleGeometry g, CornerTable<T> table, int len, T* x, T* gy, T* dGrid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        int bands = (len + GridBand - 1) / GridBand;
        Parallel.For(0, bands, ParallelOptions, b =>
        {
            int j0 = b * GridBand, bandLen = Math.Min(GridBand, len - j0);
            T* sums = stackalloc T[4 * GridBand];
            new Span<T>(sums, 4 * bandLen).Clear();
            for (int ch = 0; ch < c; ch++)
                GridCornerSums(table, x + (nint)ch * inPlane, gy + (nint)ch * outPlane, j0, bandLen, sums);
            for (int i = 0; i < bandLen; i++)
            {
                int j = j0 + i;
                T s00 = sums[i], s01 = sums[bandLen + i], s10 = sums[2 * bandLen + i], s11 = sums[3 * bandLen + i];
                T lx = table.Lx[j], ly = table.Ly[j];
                // ∂/∂ix and ∂/∂iy of the bilinear sample (outside corners contribute nothing: their sums are 0).
                dGrid[2 * j] = table.MultX[j] * ((T.One - ly) * (s01 - s00) + ly * (s11 - s10));
                dGrid[2 * j + 1] = table.MultY[j] * ((T.One - lx) * (s10 - s00) + lx * (s11 - s01));
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
