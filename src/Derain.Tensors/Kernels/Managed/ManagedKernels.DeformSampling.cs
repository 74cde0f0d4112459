using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <summary>
    /// The sample positions of kernel point k of deform group d along output row ho, as torchvision's
    /// deform_conv2d defines them: y = ho·stride − pad + ki·dilation + offset[2·(d·K + k)], x = wo·stride − pad
    /// + kj·dilation + offset[2·(d·K + k) + 1]; the mask (1 without one) scales the sample. Loops walk one
    /// field row at a time (wo innermost): stepping across the 2·dg·K offset planes per pixel instead would hit
    /// addresses a power-of-two plane apart and thrash the cache sets.
    /// </summary>
    private readonly unsafe struct DeformRow<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T* _offY, _offX, _mask;
        private readonly double _y, _x0;
        private readonly int _strideW, _h, _w;

        public DeformRow(DeformConvGeometry g, T* off, T* mask, int d, int k, int ho)
        {
            int kk = d * g.KernelPoints + k, ki = k / g.KernelW, kj = k - ki * g.KernelW, row = ho * g.OutW;
            _offY = off + (nint)(2 * kk) * g.OutPlane + row;
            _offX = off + (nint)(2 * kk + 1) * g.OutPlane + row;
            _mask = mask is null ? null : mask + (nint)kk * g.OutPlane + row;
            _y = ho * g.StrideH - g.PadH + ki * g.DilationH;
            _x0 = kj * g.DilationW - g.PadW;
            _strideW = g.StrideW;
            _h = g.InH;
            _w = g.InW;
        }

        /// <summary>The corners of the whole row, in a table of OutW positions.</summary>
        public void Fill(CornerTable<T> table) => table.FillRow(_offY, _offX, _y, _x0, _strideW, _h, _w);

        /// <summary>The mask of output column wo (1 without a mask).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public T Mask(int wo) => _mask is null ? T.One : _mask[wo];
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
            T* colRow = cols + (nint)r * g.OutW * plan.ColumnWidth;
            var table = CornerTable<T>.Rent(g.OutW);
            for (int d = 0; d < g.DeformGroups; d++)
            {
                var segs = plan.ByDeformGroup[d];
                for (int k = 0; k < g.KernelPoints; k++)
                {
                    var at = new DeformRow<T>(g, off, mask, d, k, ho);
                    at.Fill(table);
                    for (int wo = 0; wo < g.OutW; wo++)
                    {
                        var c = table.Get(wo);
                        T m = at.Mask(wo);
                        T* col = colRow + (nint)wo * plan.ColumnWidth + k * perGroup;
                        foreach (var s in segs)
                            ChannelRuns.Sample(xT + s.Channel, cin, c, m, col + s.ColumnBase, s.Length);
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
            int ho = r0 + r, cin = g.InChannels, perGroup = g.InPerGroup, plane = g.OutPlane, row = ho * g.OutW;
            T* gcolRow = gcols + (nint)r * g.OutW * plan.ColumnWidth;
            var table = CornerTable<T>.Rent(g.OutW);
            for (int d = 0; d < g.DeformGroups; d++)
            {
                var segs = plan.ByDeformGroup[d];
                for (int k = 0; k < g.KernelPoints; k++)
                {
                    var at = new DeformRow<T>(g, off, mask, d, k, ho);
                    at.Fill(table);
                    int kk = d * g.KernelPoints + k;
                    T* dy = dOff is null ? null : dOff + (nint)(2 * kk) * plane + row;
                    T* dx = dOff is null ? null : dy + plane;
                    T* dm = dMask is null ? null : dMask + (nint)kk * plane + row;
                    for (int wo = 0; wo < g.OutW; wo++)
                    {
                        var c = table.Get(wo);
                        T m = at.Mask(wo);
                        T* gcol = gcolRow + (nint)wo * plan.ColumnWidth + k * perGroup;
                        T s00 = T.Zero, s01 = T.Zero, s10 = T.Zero, s11 = T.Zero;
                        if (c.Inside != 0)
                            foreach (var s in segs)
                                ChannelRuns.Dot4(xT + s.Channel, cin, c, gcol + s.ColumnBase, s.Length, ref s00, ref s01, ref s10, ref s11);
                        if (dy is not null)
                        {
                            dy[wo] = m * c.DerivativeY(s00, s01, s10, s11);
                            dx[wo] = m * c.DerivativeX(s00, s01, s10, s11);
                        }
                        if (dm is not null) dm[wo] = c.Value(s00, s01, s10, s11);
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
            var table = CornerTable<T>.Rent(g.OutW);
            for (int r = 0; r < rows; r++)
            {
                T* gcolRow = gcols + (nint)r * g.OutW * plan.ColumnWidth + s.ColumnBase;
                for (int k = 0; k < g.KernelPoints; k++)
                {
                    var at = new DeformRow<T>(g, off, mask, s.DeformGroup, k, r0 + r);
                    at.Fill(table);
                    for (int wo = 0; wo < g.OutW; wo++)
                    {
                        if (table.Inside[wo] == 0) continue;
                        ChannelRuns.Scatter(gxT + s.Channel, cin, table.Get(wo), at.Mask(wo), gcolRow + (nint)wo * plan.ColumnWidth + k * perGroup, s.Length);
                    }
                }
            }
        });
    }
}
