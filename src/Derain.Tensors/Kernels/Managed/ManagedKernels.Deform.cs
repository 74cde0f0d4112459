using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Modulated deformable convolution (DCNv2; torchvision.ops.deform_conv2d): a bilinear-sampling im2col
/// (<see cref="DeformFillColumns{T}"/>) feeding the backend GEMM per convolution group, and its adjoints.
/// Work runs per image in chunks of output rows so the column matrix stays bounded.
/// </summary>
public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual unsafe void DeformConv2dForward<T>(DeformConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> offset,
        ReadOnlySpan<T> mask, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new DeformPlan(g, KernelBackend.Threads);
        int cin = g.InChannels, cout = g.OutChannels, k = g.KernelPoints, plane = g.OutPlane;
        int kcg = k * g.InPerGroup, coutG = g.OutPerGroup, cw = plan.ColumnWidth;
        var gemm = KernelBackend.For<T>();
        using var wT = new Scratch<T>(w.Length);
        using var xT = new Scratch<T>(g.InPlane * cin);
        using var cols = new Scratch<T>(plan.ChunkRows * g.OutW * cw);
        using var yT = new Scratch<T>(plan.ChunkRows * g.OutW * cout);
        fixed (T* px = x, po = offset, pm = mask, pw = w, pb = bias, py = y)
        {
            ReorderWeights(g, pw, wT.Ptr, toKernelMajor: true);
            for (int n = 0; n < g.N; n++)
            {
                Layout.Transpose(px + (nint)n * cin * g.InPlane, cin, g.InPlane, xT.Ptr);
                T* off = po + (nint)n * 2 * g.DeformGroups * k * plane;
                T* msk = g.HasMask ? pm + (nint)n * g.DeformGroups * k * plane : null;
                for (int r0 = 0; r0 < g.OutH; r0 += plan.ChunkRows)
                {
                    int rows = Math.Min(plan.ChunkRows, g.OutH - r0), p = rows * g.OutW;
                    DeformFillColumns(plan, xT.Ptr, off, msk, r0, rows, cols.Ptr);
                    // yT[p, group's outputs] = columns[p, group block] · w'[group]ᵀ
                    for (int grp = 0; grp < g.Groups; grp++)
                        gemm.Gemm(false, true, p, coutG, kcg, T.One,
                            Span(cols.Ptr + grp * kcg, (p - 1) * cw + kcg), cw,
                            Span(wT.Ptr + (nint)grp * coutG * kcg, coutG * kcg), kcg, T.Zero,
                            new Span<T>(yT.Ptr + grp * coutG, (p - 1) * cout + coutG), cout);
                    T* yOut = py + (nint)n * cout * plane + r0 * g.OutW;
                    Layout.Transpose(yT.Ptr, p, cout, cout, yOut, plane);
                    if (pb is not null)
                        for (int o = 0; o < cout; o++)
                        {
                            var row = new Span<T>(yOut + (nint)o * plane, p);
                            TensorPrimitives.Add(row, pb[o], row);
                        }
                }
            }
        }
    }

    /// <inheritdoc/>
    public virtual unsafe void DeformConv2dBackward<T>(DeformConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> offset,
        ReadOnlySpan<T> mask, ReadOnlySpan<T> w, ReadOnlySpan<T> dy, Span<T> dx, Span<T> dOffset, Span<T> dMask,
        Span<T> dw, Span<T> dBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = g.InChannels, cout = g.OutChannels, k = g.KernelPoints, plane = g.OutPlane;
        if (!dBias.IsEmpty)
            for (int o = 0; o < cout; o++)
            {
                T s = T.Zero;
                for (int n = 0; n < g.N; n++) s += TensorPrimitives.Sum(dy.Slice((n * cout + o) * plane, plane));
                dBias[o] = s;
            }
        bool wantX = !dx.IsEmpty, wantOff = !dOffset.IsEmpty, wantMask = g.HasMask && !dMask.IsEmpty, wantW = !dw.IsEmpty;
        bool wantCols = wantX || wantOff || wantMask;
        if (!wantCols && !wantW) return;

        var plan = new DeformPlan(g, KernelBackend.Threads);
        int kcg = k * g.InPerGroup, coutG = g.OutPerGroup, cw = plan.ColumnWidth, chunk = plan.ChunkRows * g.OutW;
        var gemm = KernelBackend.For<T>();
        using var wT = new Scratch<T>(wantCols ? w.Length : 0);
        using var dwT = new Scratch<T>(wantW ? w.Length : 0, clear: true);
        using var xT = new Scratch<T>(g.InPlane * cin);
        using var gyT = new Scratch<T>(plane * cout);
        using var cols = new Scratch<T>(wantW ? chunk * cw : 0);
        using var gcols = new Scratch<T>(wantCols ? chunk * cw : 0);
        using var gxT = new Scratch<T>(wantX ? g.InPlane * cin : 0);
        fixed (T* px = x, po = offset, pm = mask, pw = w, pdy = dy, pdx = dx, pdo = dOffset, pdm = dMask, pdw = dw)
        {
            if (wantCols) ReorderWeights(g, pw, wT.Ptr, toKernelMajor: true);
            for (int n = 0; n < g.N; n++)
            {
                Layout.Transpose(px + (nint)n * cin * g.InPlane, cin, g.InPlane, xT.Ptr);
                Layout.Transpose(pdy + (nint)n * cout * plane, cout, plane, gyT.Ptr);
                if (wantX) gxT.Span.Clear();
                int fieldSize = g.DeformGroups * k * plane;
                T* off = po + (nint)n * 2 * fieldSize;
                T* msk = g.HasMask ? pm + (nint)n * fieldSize : null;
                T* dOff = wantOff ? pdo + (nint)n * 2 * fieldSize : null;
                T* dMsk = wantMask ? pdm + (nint)n * fieldSize : null;
                for (int r0 = 0; r0 < g.OutH; r0 += plan.ChunkRows)
                {
                    int rows = Math.Min(plan.ChunkRows, g.OutH - r0), p = rows * g.OutW;
                    T* gy = gyT.Ptr + (nint)r0 * g.OutW * cout;
                    if (wantW)
                    {
                        // dw'[group] += gyT[:, group]ᵀ · columns[:, group block]
                        DeformFillColumns(plan, xT.Ptr, off, msk, r0, rows, cols.Ptr);
                        for (int grp = 0; grp < g.Groups; grp++)
                            gemm.Gemm(true, false, coutG, kcg, p, T.One,
                                Span(gy + grp * coutG, (p - 1) * cout + coutG), cout,
                                Span(cols.Ptr + grp * kcg, (p - 1) * cw + kcg), cw, T.One,
                                new Span<T>(dwT.Ptr + (nint)grp * coutG * kcg, coutG * kcg), kcg);
                    }
                    if (!wantCols) continue;
                    // gradColumns[:, group block] = gyT[:, group] · w'[group]
                    for (int grp = 0; grp < g.Groups; grp++)
                        gemm.Gemm(false, false, p, kcg, coutG, T.One,
                            Span(gy + grp * coutG, (p - 1) * cout + coutG), cout,
                            Span(wT.Ptr + (nint)grp * coutG * kcg, coutG * kcg), kcg, T.Zero,
                            new Span<T>(gcols.Ptr + grp * kcg, (p - 1) * cw + kcg), cw);
                    if (wantOff || wantMask) DeformOffsetMaskGrads(plan, xT.Ptr, off, msk, gcols.Ptr, r0, rows, dOff, dMsk);
                    if (wantX) DeformScatterInput(plan, off, msk, gcols.Ptr, r0, rows, gxT.Ptr);
                }
                if (wantX) Layout.Transpose(gxT.Ptr, g.InPlane, cin, pdx + (nint)n * cin * g.InPlane);
            }
            if (wantW) ReorderWeights(g, dwT.Ptr, pdw, toKernelMajor: false);
        }
    }

    /// <summary>
    /// Converts a weight between PyTorch's [Cout, InPerGroup, K] and the column order [Cout, K, InPerGroup]
    /// (kernel-major, channels innermost) the channels-last columns need.
    /// </summary>
    private static unsafe void ReorderWeights<T>(DeformConvGeometry g, T* src, T* dst, bool toKernelMajor) where T : unmanaged
    {
        int k = g.KernelPoints, c = g.InPerGroup, size = k * c;
        for (int o = 0; o < g.OutChannels; o++)
        {
            if (toKernelMajor) Layout.Transpose(src + (nint)o * size, c, k, dst + (nint)o * size);
            else Layout.Transpose(src + (nint)o * size, k, c, dst + (nint)o * size);
        }
    }

    private static unsafe ReadOnlySpan<T> Span<T>(T* p, int length) where T : unmanaged => new(p, length);
}
