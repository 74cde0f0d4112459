using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// grid_sample (torch.nn.functional.grid_sample, 4-D). The image is read channels-last so each output pixel
/// computes its corners once and samples all channels with vector loads; the result is transposed back.
/// </summary>
public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void GridSample2dForward<T>(GridSampleGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> grid, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        using var xT = new Scratch<T>(inPlane * c);
        using var yT = new Scratch<T>(outPlane * c);
        fixed (T* px = x, pg = grid, py = y)
        {
            for (int n = 0; n < g.N; n++)
            {
                Layout.Transpose(px + (nint)n * c * inPlane, c, inPlane, xT.Ptr);
                T* gr = pg + (nint)n * outPlane * 2, img = xT.Ptr, outT = yT.Ptr;
                Parallel.For(0, g.OutH, ParallelOptions, row =>
                {
                    for (int p = row * g.OutW, end = p + g.OutW; p < end; p++)
                    {
                        var k = GridCorners(g, gr[2 * p], gr[2 * p + 1], out _, out _);
                        ChannelRuns.Sample(img, c, k, T.One, outT + (nint)p * c, c);
                    }
                });
                Layout.Transpose(yT.Ptr, outPlane, c, py + (nint)n * c * outPlane);
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
        int c = g.Channels, inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        using var xT = new Scratch<T>(wantGrid ? inPlane * c : 0);
        using var gyT = new Scratch<T>(outPlane * c);
        var scatter = wantX ? new GridScatter<T>(g) : null;
        try
        {
            fixed (T* px = x, pg = grid, pdy = dy, pdx = dx, pdg = dGrid)
            {
                for (int n = 0; n < g.N; n++)
                {
                    T* gr = pg + (nint)n * outPlane * 2, gOut = gyT.Ptr;
                    Layout.Transpose(pdy + (nint)n * c * outPlane, c, outPlane, gyT.Ptr);
                    if (wantGrid)
                    {
                        Layout.Transpose(px + (nint)n * c * inPlane, c, inPlane, xT.Ptr);
                        T* img = xT.Ptr, dg = pdg + (nint)n * outPlane * 2;
                        // ∂/∂grid = Σ_c dy_c · ∂sample_c/∂(ix, iy) · ∂(ix, iy)/∂grid (grid_sampler_2d_backward).
                        Parallel.For(0, g.OutH, ParallelOptions, row =>
                        {
                            for (int p = row * g.OutW, end = p + g.OutW; p < end; p++)
                            {
                                var k = GridCorners(g, gr[2 * p], gr[2 * p + 1], out T multX, out T multY);
                                T s00 = T.Zero, s01 = T.Zero, s10 = T.Zero, s11 = T.Zero;
                                if (k.Inside != 0) ChannelRuns.Dot4(img, c, k, gOut + (nint)p * c, c, ref s00, ref s01, ref s10, ref s11);
                                dg[2 * p] = multX * k.DerivativeX(s00, s01, s10, s11);
                                dg[2 * p + 1] = multY * k.DerivativeY(s00, s01, s10, s11);
                            }
                        });
                    }
                    if (wantX) scatter!.Run(gr, gOut, pdx + (nint)n * c * inPlane);
                }
            }
        }
        finally
        {
            scatter?.Dispose();
        }
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

    /// <summary>
    /// The input-gradient scatter of grid_sample for one image: each output pixel adds dy·weight to its corners.
    /// With enough channels, tasks own disjoint channel runs; with few channels (flows, RGB), tasks own bands of
    /// output rows and scatter into private buffers that are summed at the end.
    /// </summary>
    private sealed unsafe class GridScatter<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
    {
        private const int MinRun = 16;
        private readonly GridSampleGeometry _g;
        private readonly int _tasks;
        private readonly bool _byChannel;
        private readonly Scratch<T> _acc;

        public GridScatter(GridSampleGeometry g)
        {
            _g = g;
            int threads = KernelBackend.Threads, runs = (g.Channels + MinRun - 1) / MinRun;
            _byChannel = threads == 1 || runs >= 2 * threads;
            _tasks = _byChannel ? runs : Math.Min(threads, g.OutH);
            _acc = new Scratch<T>(g.Channels * g.InH * g.InW * (_byChannel ? 1 : _tasks));
        }

        /// <summary>dx (channels-first, one image) from the grid and dy (channels-last).</summary>
        public void Run(T* grid, T* gyT, T* dx)
        {
            var g = _g;
            int c = g.Channels, inPlane = g.InH * g.InW, size = c * inPlane;
            T* acc = _acc.Ptr;
            _acc.Span.Clear();
            Parallel.For(0, _tasks, ParallelOptions, t =>
            {
                int c0 = 0, len = c, p0 = 0, p1 = g.OutH * g.OutW;
                T* dst = acc;
                if (_byChannel)
                {
                    c0 = t * MinRun;
                    len = Math.Min(MinRun, c - c0);
                }
                else
                {
                    p0 = (int)((long)g.OutH * t / _tasks) * g.OutW;
                    p1 = (int)((long)g.OutH * (t + 1) / _tasks) * g.OutW;
                    dst = acc + (nint)t * size;
                }
                for (int p = p0; p < p1; p++)
                {
                    var k = GridCorners(g, grid[2 * p], grid[2 * p + 1], out _, out _);
                    if (k.Inside != 0) ChannelRuns.Scatter(dst + c0, c, k, T.One, gyT + (nint)p * c + c0, len);
                }
            });
            for (int t = 1; t < (_byChannel ? 1 : _tasks); t++)
                ChannelRuns.Axpy(acc + (nint)t * size, T.One, acc, size);
            Layout.Transpose(acc, inPlane, c, dx);
        }

        public void Dispose() => _acc.Dispose();
    }
}
