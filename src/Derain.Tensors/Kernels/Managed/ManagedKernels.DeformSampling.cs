using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <summary>
    /// Where kernel point (ki, kj) of output pixel (ho, wo) samples deform group d, as torchvision's
    /// deform_conv2d defines it: y = ho·stride − pad + ki·dilation + offset[2·(d·K + k)], x likewise with
    /// offset[2·(d·K + k) + 1]; the mask (1 without one) scales the sample. <paramref name="off"/> and
    /// <paramref name="mask"/> point at one image's fields.
    /// </summary>
    private static unsafe Corners<T> DeformCorners<T>(DeformConvGeometry g, T* off, T* mask, int d, int k, int ho, int wo, out T m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.OutPlane, p = ho * g.OutW + wo, kk = d * g.KernelPoints + k;
        int ki = k / g.KernelW, kj = k - ki * g.KernelW;
        double y = ho * g.StrideH - g.PadH + ki * g.DilationH + double.CreateTruncating(off[(nint)(2 * kk) * plane + p]);
        double x = wo * g.StrideW - g.PadW + kj * g.DilationW + double.CreateTruncating(off[(nint)(2 * kk + 1) * plane + p]);
        m = mask is null ? T.One : mask[(nint)kk * plane + p];
        return Corners<T>.Bilinear(y, x, g.InH, g.InW);
    }

    /// <summary>
    /// The bilinear-sampling im2col of output rows [r0, r0 + rows): column row (r·OutW + wo) gets, for every
    /// kernel point and channel, mask · bilinear(x, position) (the columns of torchvision's deformable_im2col,
    /// transposed to pixel-major, channels-last order). <paramref name="xT"/> is the image channels-last.
    /// </summary>
    private static unsafe void DeformFillColumns<T>(DeformPlan plan, T* xT, T* off, T* mask, int r0, int rows, T* cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        Parallel.For(0, rows, ParallelOptions, r =>
        {
            int ho = r0 + r, cin = g.InChannels, perGroup = g.InPerGroup;
            for (int wo = 0; wo < g.OutW; wo++)
            {
                T* colRow = cols + (nint)(r * g.OutW + wo) * plan.ColumnWidth;
                for (int d = 0; d < g.DeformGroups; d++)
                {
                    var segs = plan.ByDeformGroup[d];
                    for (int k = 0; k < g.KernelPoints; k++)
                    {
                        var c = DeformCorners(g, off, mask, d, k, ho, wo, out T m);
                        foreach (var s in segs)
                            ChannelRuns.Sample(xT + s.Channel, cin, c, m, colRow + s.ColumnBase + k * perGroup, s.Length);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Offset and mask gradients of output rows [r0, r0 + rows) from the column gradients: per (pixel, kernel
    /// point, deform group), with s_ij = Σ_c gradColumn_c · x_c(corner ij),
    /// ∂/∂offset_y = mask · ∂bilinear/∂y, ∂/∂offset_x = mask · ∂bilinear/∂x and ∂/∂mask = bilinear value
    /// (torchvision's deformable_col2im_coord). Every entry of the chunk is written once.
    /// </summary>
    private static unsafe void DeformOffsetMaskGrads<T>(DeformPlan plan, T* xT, T* off, T* mask, T* gcols, int r0, int rows,
        T* dOff, T* dMask) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        Parallel.For(0, rows, ParallelOptions, r =>
        {
            int ho = r0 + r, cin = g.InChannels, perGroup = g.InPerGroup, plane = g.OutPlane;
            for (int wo = 0; wo < g.OutW; wo++)
            {
                int p = ho * g.OutW + wo;
                T* gRow = gcols + (nint)(r * g.OutW + wo) * plan.ColumnWidth;
                for (int d = 0; d < g.DeformGroups; d++)
                {
                    var segs = plan.ByDeformGroup[d];
                    for (int k = 0; k < g.KernelPoints; k++)
                    {
                        var c = DeformCorners(g, off, mask, d, k, ho, wo, out T m);
                        T s00 = T.Zero, s01 = T.Zero, s10 = T.Zero, s11 = T.Zero;
                        if (c.Inside != 0)
                            foreach (var s in segs)
                                ChannelRuns.Dot4(xT + s.Channel, cin, c, gRow + s.ColumnBase + k * perGroup, s.Length, ref s00, ref s01, ref s10, ref s11);
                        int kk = d * g.KernelPoints + k;
                        if (dOff is not null)
                        {
                            dOff[(nint)(2 * kk) * plane + p] = m * c.DerivativeY(s00, s01, s10, s11);
                            dOff[(nint)(2 * kk + 1) * plane + p] = m * c.DerivativeX(s00, s01, s10, s11);
                        }
                        if (dMask is not null) dMask[(nint)kk * plane + p] = c.Value(s00, s01, s10, s11);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Input gradient of output rows [r0, r0 + rows): every column gradient goes back to the four corners it
    /// was sampled from, times mask and bilinear weight (torchvision's deformable_col2im). Tasks own disjoint
    /// channel runs of <paramref name="gxT"/> (channels-last), so the scatter needs no atomics.
    /// </summary>
    private static unsafe void DeformScatterInput<T>(DeformPlan plan, T* off, T* mask, T* gcols, int r0, int rows, T* gxT)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.Geometry;
        var items = plan.ScatterItems;
        Parallel.For(0, items.Length, ParallelOptions, i =>
        {
            var s = items[i];
            int cin = g.InChannels, perGroup = g.InPerGroup;
            for (int r = 0; r < rows; r++)
            {
                int ho = r0 + r;
                for (int wo = 0; wo < g.OutW; wo++)
                {
                    T* gRow = gcols + (nint)(r * g.OutW + wo) * plan.ColumnWidth + s.ColumnBase;
                    for (int k = 0; k < g.KernelPoints; k++)
                    {
                        var c = DeformCorners(g, off, mask, s.DeformGroup, k, ho, wo, out T m);
                        if (c.Inside != 0) ChannelRuns.Scatter(gxT + s.Channel, cin, c, m, gRow + k * perGroup, s.Length);
                    }
                }
            }
        });
    }
}
