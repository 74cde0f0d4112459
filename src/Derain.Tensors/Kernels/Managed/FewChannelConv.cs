using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Backward passes (weights and bias, data) of float32 2-D convolutions with few input channels (1–8) and 17–32
/// output channels: EEVRSR's first layers (5→24 5×5 stride 2 of two flow stages, 2→24 7×7 stride 2 of the third,
/// 5→24 7×7 of the de-raining net). oneDNN 2.6 runs these at 35–45 GFLOP/s per core (its backward-weights pick is
/// the AVX2 kernel; with 5 input channels neither pass has a full 16-channel block to vectorise over on the input
/// side), a third of what it reaches on the 24→24 layers (docs/eevrsr.md, "Speed").
/// The input x and dx are NCHW; dy is NCHW or oneDNN's 16-channel blocked layout [N, ⌈Cout/16⌉, OH, OW, 16]
/// (<see cref="Ops.ToChannelBlocks"/>), in which the flow stages hand it over.
/// <para>
/// Backward weights vectorises over output channels (a blocked dy pixel is one vector per 16 channels): for each
/// input channel and kernel row, one register tile of kw taps × ⌈Cout/16⌉ blocks sweeps an output row, every input
/// value broadcast once for both blocks. Backward data vectorises along the input row: for stride s the row splits
/// into s phases (ix = s·m + p), in each of which every tap reads dy at a fixed offset m + q, so 16 consecutive m
/// are one unaligned load of a transposed, zero-padded dy row; a tile of Cin channels × 64 positions (32 above five
/// channels) accumulates all taps (ky, kx, co) of the row.
/// </para>
/// <para>
/// Every output element is one fixed chain of fused multiply-adds (weights: per output row, from zero, then added
/// to the sample's running total, the samples' totals then summed in order; data: over the row's taps in (ky, kx, co) order, from zero), whatever the vector width or
/// thread count; the scalar path (<c>vectorized: false</c>) runs the same chains, so both give bit-identical results
/// and each checks the other. Both passes split the work over samples; the weight gradient keeps one partial sum per
/// sample and adds them in sample order, so no result depends on the thread count.
/// </para>
/// </summary>
internal static unsafe class FewChannelConv
{
    private const int Lanes = Ops.ChannelBlock;

    /// <summary>Most input channels handled (the backward-data tile keeps Cin × 2 accumulators in registers).</summary>
    public const int MaxInChannels = 8;

    /// <summary>Most output channels handled (two 16-channel blocks).</summary>
    public const int MaxOutChannels = 2 * Lanes;

    /// <summary>Input positions per backward-data tile (two vectors).</summary>
    private const int DataTile = 2 * Lanes;

    /// <summary>Input positions per wide backward-data tile (four vectors, for up to five input channels).</summary>
    private const int WideDataTile = 4 * Lanes;

    /// <summary>Most input channels of the wide tile (4 × 5 = 20 accumulators).</summary>
    private const int WideDataChannels = 5;

    /// <summary>Whether the AVX-512 path can run on this CPU.</summary>
    public static bool VectorizedAvailable => Avx512F.IsSupported;

    /// <summary>The geometries these kernels take: 2-D, ungrouped, undilated, 1–8 input and 17–32 output channels.</summary>
    public static bool Applies(ConvGeometry g) =>
        g.SpatialRank == 2 && g.Groups == 1 && g.Dilation[0] == 1 && g.Dilation[1] == 1 &&
        g.InChannels >= 1 && g.InChannels <= MaxInChannels && g.OutChannels > Lanes && g.OutChannels <= MaxOutChannels &&
        g.N > 0;

    // ---------------------------------------------------------------------------------------------------------
    // Backward weights
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>dw [Cout, Cin, kh, kw] = Σ dy·x and, if <paramref name="dbias"/> is not empty, dbias = Σ dy.</summary>
    public static void BackwardWeights(ConvGeometry g, bool dyBlocked, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias, bool vectorized)
    {
        if (!Applies(g)) throw new ArgumentException($"FewChannelConv: geometry {g.ProfileLabel("conv")} is outside its range.");
        if (vectorized && !VectorizedAvailable) throw new PlatformNotSupportedException("FewChannelConv: AVX-512 is not available.");
        int cin = g.InChannels, cout = g.OutChannels, blocks = Blocks(cout), kh = g.Kernel[0], kw = g.Kernel[1];
        CheckLength("x", x.Length, (long)g.N * cin * g.InPlane);
        CheckLength("dy", dy.Length, (long)g.N * (dyBlocked ? blocks * Lanes : cout) * g.OutPlane);
        CheckLength("dw", dw.Length, (long)cout * cin * kh * kw);
        bool hasBias = !dbias.IsEmpty;
        if (hasBias) CheckLength("dbias", dbias.Length, cout);

        int pairs = cin * kh;
        int perPair = kw * blocks * Lanes;
        // Per sample: totals [pair = ci·kh + ky][kx][block][16], then the bias [block][16]; summed over the samples
        // in order afterwards, so the result does not depend on how the samples were split over threads.
        int slot = pairs * perPair + blocks * Lanes;
        using var totalsLease = ScratchBuffers.Rent<float>((long)g.N * slot);
        float* totals = totalsLease.Pointer<float>();
        new Span<float>(totals, g.N * slot).Clear();
        fixed (float* px = x, pdy = dy)
        {
            nint xp = (nint)px, dyp = (nint)pdy, tp = (nint)totals;
            long work = (long)g.OutPlane * pairs * kw * blocks * Lanes;
            RangeParallel.For(g.N, work, (start, end) =>
                WeightsSamples(g, dyBlocked, (float*)xp, (float*)dyp, (float*)tp, start, end, hasBias, vectorized));
        }
        for (int n = 1; n < g.N; n++)
        {
            float* src = totals + (long)n * slot;
            for (int i = 0; i < slot; i++) totals[i] += src[i];
        }
        for (int co = 0; co < cout; co++)
        {
            int b = co / Lanes, l = co % Lanes;
            for (int pair = 0; pair < pairs; pair++)
                for (int kx = 0; kx < kw; kx++)
                    dw[(co * pairs + pair) * kw + kx] = totals[pair * perPair + (kx * blocks + b) * Lanes + l];
            if (hasBias) dbias[co] = totals[pairs * perPair + co];
        }
    }

    /// <summary>Each sample's totals over its output rows (and its bias sum if asked), for samples [nStart, nEnd).</summary>
    private static void WeightsSamples(ConvGeometry g, bool dyBlocked, float* x, float* dy, float* totals, int nStart, int nEnd, bool bias, bool vectorized)
    {
        int cin = g.InChannels, cout = g.OutChannels, blocks = Blocks(cout), kh = g.Kernel[0], kw = g.Kernel[1];
        int h = g.InSize[0], w = g.InSize[1], oh = g.OutSize[0], ow = g.OutSize[1];
        int sy = g.Stride[0], sx = g.Stride[1], pby = g.PadBegin[0], pbx = g.PadBegin[1];
        int pairs = cin * kh;
        int perPair = kw * blocks * Lanes;
        int slot = pairs * perPair + blocks * Lanes;
        // Input rows padded with zeros on both sides, so every tap of every output column reads inside the row.
        int wp = (ow - 1) * sx + kw;
        using var padLease = ScratchBuffers.Rent<float>((long)cin * h * wp);
        float* pad = padLease.Pointer<float>();
        using var rowLease = ScratchBuffers.Rent<float>(dyBlocked ? 1 : (long)blocks * ow * Lanes);
        float* dyRow = rowLease.Pointer<float>();
        int copyLo = Math.Max(0, pbx), copyHi = Math.Min(wp, pbx + w);  // padded columns that hold input columns

        for (int n = nStart; n < nEnd; n++)
        {
            float* sample = totals + (long)n * slot;
            float* biasTotal = sample + pairs * perPair;
            for (int ci = 0; ci < cin; ci++)
                for (int iy = 0; iy < h; iy++)
                {
                    var row = new Span<float>(pad + (ci * h + iy) * wp, wp);
                    row.Clear();
                    if (copyHi > copyLo)
                        new ReadOnlySpan<float>(x + ((long)(n * cin + ci) * h + iy) * w + (copyLo - pbx), copyHi - copyLo).CopyTo(row[copyLo..copyHi]);
                }
            for (int oy = 0; oy < oh; oy++)
            {
                float* d0;
                if (dyBlocked)
                    d0 = dy + ((long)n * blocks * oh + oy) * ow * Lanes;
                else
                {
                    BlockRow(dy + (long)n * cout * oh * ow + (long)oy * ow, cout, blocks, oh * ow, ow, dyRow, vectorized);
                    d0 = dyRow;
                }
                // Block b of this row starts blockStride floats after block 0.
                long blockStride = dyBlocked ? (long)oh * ow * Lanes : (long)ow * Lanes;
                if (bias) BiasRow(d0, blockStride, blocks, ow, biasTotal, vectorized);
                for (int pair = 0; pair < pairs; pair++)
                {
                    int ci = pair / kh, ky = pair % kh;
                    int iy = oy * sy + ky - pby;
                    if ((uint)iy >= (uint)h) continue;
                    float* xr = pad + (ci * h + iy) * wp;
                    float* total = sample + pair * perPair;
                    for (int kx0 = 0; kx0 < kw; kx0 += 8)
                    {
                        int taps = Math.Min(8, kw - kx0);
                        float* t = total + kx0 * blocks * Lanes;
                        if (vectorized) WeightsRow512(taps, blocks, xr + kx0, sx, d0, d0 + blockStride, ow, t);
                        else WeightsRowScalar(taps, blocks, xr + kx0, sx, d0, blockStride, ow, t);
                    }
                }
            }
        }
    }

    /// <summary>One NCHW dy row (all channels) as 16-channel blocks [block][ow][16], padding lanes zero.</summary>
    private static void BlockRow(float* src, int cout, int blocks, long channelStride, int ow, float* dst, bool vectorized)
    {
        int ox0 = 0;
        if (vectorized)
        {
            // Whole 16×16 tiles in registers: 16 channel rows (zeros past cout) become 16 pixel vectors.
            for (; ox0 + Lanes <= ow; ox0 += Lanes)
                for (int b = 0; b < blocks; b++)
                    Transpose16(src + b * Lanes * channelStride + ox0, channelStride, Math.Min(Lanes, cout - b * Lanes), dst + (b * ow + ox0) * Lanes, Lanes);
        }
        for (int b = 0; b < blocks; b++)
            for (int l = 0; l < Lanes; l++)
            {
                int co = b * Lanes + l;
                float* d = dst + b * ow * Lanes + l;
                if (co < cout)
                {
                    float* s = src + co * channelStride;
                    for (int ox = ox0; ox < ow; ox++) d[ox * Lanes] = s[ox];
                }
                else
                    for (int ox = ox0; ox < ow; ox++) d[ox * Lanes] = 0;
            }
    }

    /// <summary>
    /// dst row j (at dst + j·dstStride, 16 floats) = column j of the 16×16 tile whose row i is src + i·srcStride, rows
    /// i ≥ <paramref name="rows"/> read as zeros (AVX-512: unpack, in-lane shuffle, two 128-bit lane shuffles).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16(float* src, long srcStride, int rows, float* dst, long dstStride)
    {
        // Sixteen named registers (an array would live in memory).
        var z = Vector512<float>.Zero;
        var r0 = 0 < rows ? Vector512.Load(src + 0 * srcStride) : z;
        var r1 = 1 < rows ? Vector512.Load(src + 1 * srcStride) : z;
        var r2 = 2 < rows ? Vector512.Load(src + 2 * srcStride) : z;
        var r3 = 3 < rows ? Vector512.Load(src + 3 * srcStride) : z;
        var r4 = 4 < rows ? Vector512.Load(src + 4 * srcStride) : z;
        var r5 = 5 < rows ? Vector512.Load(src + 5 * srcStride) : z;
        var r6 = 6 < rows ? Vector512.Load(src + 6 * srcStride) : z;
        var r7 = 7 < rows ? Vector512.Load(src + 7 * srcStride) : z;
        var r8 = 8 < rows ? Vector512.Load(src + 8 * srcStride) : z;
        var r9 = 9 < rows ? Vector512.Load(src + 9 * srcStride) : z;
        var r10 = 10 < rows ? Vector512.Load(src + 10 * srcStride) : z;
        var r11 = 11 < rows ? Vector512.Load(src + 11 * srcStride) : z;
        var r12 = 12 < rows ? Vector512.Load(src + 12 * srcStride) : z;
        var r13 = 13 < rows ? Vector512.Load(src + 13 * srcStride) : z;
        var r14 = 14 < rows ? Vector512.Load(src + 14 * srcStride) : z;
        var r15 = 15 < rows ? Vector512.Load(src + 15 * srcStride) : z;
        var t0 = Avx512F.UnpackLow(r0, r1);
        var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3);
        var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5);
        var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7);
        var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9);
        var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11);
        var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13);
        var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15);
        var t15 = Avx512F.UnpackHigh(r14, r15);
        r0 = Avx512F.Shuffle(t0, t2, 0x44);
        r1 = Avx512F.Shuffle(t0, t2, 0xEE);
        r2 = Avx512F.Shuffle(t1, t3, 0x44);
        r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44);
        r5 = Avx512F.Shuffle(t4, t6, 0xEE);
        r6 = Avx512F.Shuffle(t5, t7, 0x44);
        r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44);
        r9 = Avx512F.Shuffle(t8, t10, 0xEE);
        r10 = Avx512F.Shuffle(t9, t11, 0x44);
        r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44);
        r13 = Avx512F.Shuffle(t12, t14, 0xEE);
        r14 = Avx512F.Shuffle(t13, t15, 0x44);
        r15 = Avx512F.Shuffle(t13, t15, 0xEE);
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(dst + 0 * dstStride);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(dst + 8 * dstStride);
        Avx512F.Shuffle4x128(t1, t9, 0x88).Store(dst + 1 * dstStride);
        Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(dst + 9 * dstStride);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(dst + 2 * dstStride);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(dst + 10 * dstStride);
        Avx512F.Shuffle4x128(t3, t11, 0x88).Store(dst + 3 * dstStride);
        Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(dst + 11 * dstStride);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(dst + 4 * dstStride);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(dst + 12 * dstStride);
        Avx512F.Shuffle4x128(t5, t13, 0x88).Store(dst + 5 * dstStride);
        Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(dst + 13 * dstStride);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(dst + 6 * dstStride);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(dst + 14 * dstStride);
        Avx512F.Shuffle4x128(t7, t15, 0x88).Store(dst + 7 * dstStride);
        Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(dst + 15 * dstStride);
    }

    /// <summary>biasTotal[b] += (Σ over the row of dy[b]), the row sum starting from zero.</summary>
    private static void BiasRow(float* d0, long blockStride, int blocks, int ow, float* biasTotal, bool vectorized)
    {
        for (int b = 0; b < blocks; b++)
        {
            float* d = d0 + b * blockStride;
            if (vectorized)
            {
                var r = Vector512<float>.Zero;
                for (int ox = 0; ox < ow; ox++) r += Vector512.Load(d + ox * Lanes);
                (Vector512.Load(biasTotal + b * Lanes) + r).Store(biasTotal + b * Lanes);
            }
            else
            {
                for (int l = 0; l < Lanes; l++)
                {
                    float r = 0;
                    for (int ox = 0; ox < ow; ox++) r += d[ox * Lanes + l];
                    biasTotal[b * Lanes + l] += r;
                }
            }
        }
    }

    private static void WeightsRow512(int taps, int blocks, float* x, int sx, float* d0, float* d1, int ow, float* total)
    {
        if (blocks == 2)
        {
            switch (taps)
            {
                case 1: WeightsRow512<C1, C2>(x, sx, d0, d1, ow, total); return;
                case 2: WeightsRow512<C2, C2>(x, sx, d0, d1, ow, total); return;
                case 3: WeightsRow512<C3, C2>(x, sx, d0, d1, ow, total); return;
                case 4: WeightsRow512<C4, C2>(x, sx, d0, d1, ow, total); return;
                case 5: WeightsRow512<C5, C2>(x, sx, d0, d1, ow, total); return;
                case 6: WeightsRow512<C6, C2>(x, sx, d0, d1, ow, total); return;
                case 7: WeightsRow512<C7, C2>(x, sx, d0, d1, ow, total); return;
                default: WeightsRow512<C8, C2>(x, sx, d0, d1, ow, total); return;
            }
        }
        switch (taps)
        {
            case 1: WeightsRow512<C1, C1>(x, sx, d0, d1, ow, total); return;
            case 2: WeightsRow512<C2, C1>(x, sx, d0, d1, ow, total); return;
            case 3: WeightsRow512<C3, C1>(x, sx, d0, d1, ow, total); return;
            case 4: WeightsRow512<C4, C1>(x, sx, d0, d1, ow, total); return;
            case 5: WeightsRow512<C5, C1>(x, sx, d0, d1, ow, total); return;
            case 6: WeightsRow512<C6, C1>(x, sx, d0, d1, ow, total); return;
            case 7: WeightsRow512<C7, C1>(x, sx, d0, d1, ow, total); return;
            default: WeightsRow512<C8, C1>(x, sx, d0, d1, ow, total); return;
        }
    }

    /// <summary>
    /// total[t][b] += Σ_ox dy[b][ox] · x[ox·sx + t] for t &lt; TTaps, b &lt; TBlocks: one register per (t, b), each
    /// input value broadcast once for both blocks. The type parameters are constants the JIT folds, so unused
    /// accumulators vanish.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightsRow512<TTaps, TBlocks>(float* x, int sx, float* d0, float* d1, int ow, float* total)
        where TTaps : struct, IConstant where TBlocks : struct, IConstant
    {
        int nt = TTaps.Value;
        bool two = TBlocks.Value == 2;
        var z = Vector512<float>.Zero;
        Vector512<float> a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        Vector512<float> b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int ox = 0; ox < ow; ox++, x += sx)
        {
            var u = Vector512.Load(d0 + ox * Lanes);
            var v = two ? Vector512.Load(d1 + ox * Lanes) : z;
            Vector512<float> s;
            s = Vector512.Create(x[0]); a0 = Vector512.FusedMultiplyAdd(u, s, a0); if (two) b0 = Vector512.FusedMultiplyAdd(v, s, b0);
            if (nt > 1) { s = Vector512.Create(x[1]); a1 = Vector512.FusedMultiplyAdd(u, s, a1); if (two) b1 = Vector512.FusedMultiplyAdd(v, s, b1); }
            if (nt > 2) { s = Vector512.Create(x[2]); a2 = Vector512.FusedMultiplyAdd(u, s, a2); if (two) b2 = Vector512.FusedMultiplyAdd(v, s, b2); }
            if (nt > 3) { s = Vector512.Create(x[3]); a3 = Vector512.FusedMultiplyAdd(u, s, a3); if (two) b3 = Vector512.FusedMultiplyAdd(v, s, b3); }
            if (nt > 4) { s = Vector512.Create(x[4]); a4 = Vector512.FusedMultiplyAdd(u, s, a4); if (two) b4 = Vector512.FusedMultiplyAdd(v, s, b4); }
            if (nt > 5) { s = Vector512.Create(x[5]); a5 = Vector512.FusedMultiplyAdd(u, s, a5); if (two) b5 = Vector512.FusedMultiplyAdd(v, s, b5); }
            if (nt > 6) { s = Vector512.Create(x[6]); a6 = Vector512.FusedMultiplyAdd(u, s, a6); if (two) b6 = Vector512.FusedMultiplyAdd(v, s, b6); }
            if (nt > 7) { s = Vector512.Create(x[7]); a7 = Vector512.FusedMultiplyAdd(u, s, a7); if (two) b7 = Vector512.FusedMultiplyAdd(v, s, b7); }
        }
        int step = TBlocks.Value * Lanes;
        AddTo(total, a0); if (two) AddTo(total + Lanes, b0);
        if (nt > 1) { AddTo(total + step, a1); if (two) AddTo(total + step + Lanes, b1); }
        if (nt > 2) { AddTo(total + 2 * step, a2); if (two) AddTo(total + 2 * step + Lanes, b2); }
        if (nt > 3) { AddTo(total + 3 * step, a3); if (two) AddTo(total + 3 * step + Lanes, b3); }
        if (nt > 4) { AddTo(total + 4 * step, a4); if (two) AddTo(total + 4 * step + Lanes, b4); }
        if (nt > 5) { AddTo(total + 5 * step, a5); if (two) AddTo(total + 5 * step + Lanes, b5); }
        if (nt > 6) { AddTo(total + 6 * step, a6); if (two) AddTo(total + 6 * step + Lanes, b6); }
        if (nt > 7) { AddTo(total + 7 * step, a7); if (two) AddTo(total + 7 * step + Lanes, b7); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(float* p, Vector512<float> v) => (Vector512.Load(p) + v).Store(p);

    /// <summary>The scalar twin of <see cref="WeightsRow512{TTaps, TBlocks}"/>: the same fused chains per element.</summary>
    private static void WeightsRowScalar(int taps, int blocks, float* x, int sx, float* d0, long blockStride, int ow, float* total)
    {
        for (int t = 0; t < taps; t++)
            for (int b = 0; b < blocks; b++)
            {
                float* d = d0 + b * blockStride;
                for (int l = 0; l < Lanes; l++)
                {
                    float r = 0;
                    for (int ox = 0; ox < ow; ox++) r = MathF.FusedMultiplyAdd(d[ox * Lanes + l], x[ox * sx + t], r);
                    total[(t * blocks + b) * Lanes + l] += r;
                }
            }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Backward data
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>dx [N, Cin, H, W] = the adjoint of the convolution with <paramref name="w"/> applied to dy.</summary>
    public static void BackwardData(ConvGeometry g, bool dyBlocked, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, bool vectorized)
    {
        if (!Applies(g)) throw new ArgumentException($"FewChannelConv: geometry {g.ProfileLabel("conv")} is outside its range.");
        if (vectorized && !VectorizedAvailable) throw new PlatformNotSupportedException("FewChannelConv: AVX-512 is not available.");
        int cin = g.InChannels, cout = g.OutChannels, blocks = Blocks(cout), kh = g.Kernel[0], kw = g.Kernel[1];
        CheckLength("dy", dy.Length, (long)g.N * (dyBlocked ? blocks * Lanes : cout) * g.OutPlane);
        CheckLength("w", w.Length, (long)cout * cin * kh * kw);
        CheckLength("dx", dx.Length, (long)g.N * cin * g.InPlane);

        var plan = new DataPlan(g);
        // Weights as [ky][kx][co][ci]: the Cin values one tap broadcasts are adjacent.
        var wt = new float[kh * kw * cout * cin];
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int k = 0; k < kh * kw; k++)
                    wt[(k * cout + co) * cin + ci] = w[(co * cin + ci) * kh * kw + k];
        fixed (float* pdy = dy, pdx = dx, pwt = wt)
        {
            nint dyp = (nint)pdy, dxp = (nint)pdx, wtp = (nint)pwt;
            long work = (long)cin * g.InPlane * cout * kh * kw / (g.Stride[0] * g.Stride[1]);
            RangeParallel.For(g.N, work, (start, end) =>
                DataChunk(g, plan, dyBlocked, (float*)dyp, (float*)wtp, (float*)dxp, start, end, vectorized));
        }
    }

    /// <summary>
    /// Column bookkeeping of the backward-data pass. Input column ix = s·m + p (phase p) receives tap kx exactly when
    /// s divides p + padBegin − kx; then ox = m + q with q = (p + padBegin − kx)/s. The transposed dy rows are
    /// padded so that every m in [0, MPadded) reads inside them: column ox sits at Left + ox.
    /// </summary>
    private sealed class DataPlan
    {
        public readonly int Phases, MPadded, Left, RowWidth;
        public readonly int[] PhaseCount;           // m values per phase
        public readonly (int Kx, int Q)[][] PhaseTaps;

        public DataPlan(ConvGeometry g)
        {
            int sx = g.Stride[1], pbx = g.PadBegin[1], kw = g.Kernel[1], w = g.InSize[1], ow = g.OutSize[1];
            Phases = sx;
            PhaseCount = new int[sx];
            PhaseTaps = new (int, int)[sx][];
            int maxCount = 0, minQ = 0, maxQ = int.MinValue;
            for (int p = 0; p < sx; p++)
            {
                PhaseCount[p] = p < w ? (w - p + sx - 1) / sx : 0;
                maxCount = Math.Max(maxCount, PhaseCount[p]);
                var taps = new List<(int, int)>();
                for (int kx = 0; kx < kw; kx++)
                {
                    int num = p + pbx - kx;
                    if (((num % sx) + sx) % sx != 0) continue;
                    int q = num / sx;
                    taps.Add((kx, q));
                    minQ = Math.Min(minQ, q);
                    maxQ = Math.Max(maxQ, q);
                }
                PhaseTaps[p] = [.. taps];
            }
            MPadded = (maxCount + WideDataTile - 1) / WideDataTile * WideDataTile;
            Left = -minQ;
            RowWidth = Left + Math.Max(ow, MPadded + Math.Max(maxQ, 0));
        }
    }

    private static void DataChunk(ConvGeometry g, DataPlan plan, bool dyBlocked, float* dy, float* wt, float* dx, int nStart, int nEnd, bool vectorized)
    {
        int cin = g.InChannels, cout = g.OutChannels, blocks = Blocks(cout), kh = g.Kernel[0], kw = g.Kernel[1];
        int h = g.InSize[0], w = g.InSize[1], oh = g.OutSize[0], ow = g.OutSize[1];
        int sy = g.Stride[0], sx = g.Stride[1], pby = g.PadBegin[0];
        int rw = plan.RowWidth, mp = plan.MPadded;
        using var dyLease = ScratchBuffers.Rent<float>((long)blocks * Lanes * oh * rw);
        float* dyT = dyLease.Pointer<float>();
        // One input row's results per phase: [phase][ci][mp].
        using var outLease = ScratchBuffers.Rent<float>((long)plan.Phases * cin * mp);
        float* rowOut = outLease.Pointer<float>();
        // Stride 2 on an even row with whole vectors per phase: the phases interleave in registers.
        bool pairVectors = vectorized && sx == 2 && w % 2 == 0 && plan.PhaseCount[0] % Lanes == 0;
        var interleaveLo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var interleaveHi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        // One row's tap groups (ky, kx): offsets into dyT (channel 0, without m) and into wt (channel 0); within a
        // group the output channels follow at strides oh·rw and cin.
        int maxGroups = kh * kw;
        var dyOffsets = new int[maxGroups];
        var wOffsets = new int[maxGroups];
        var taps = new DataTaps(cout, oh * rw, cin);

        for (int n = nStart; n < nEnd; n++)
        {
            TransposeSample(dyBlocked, dy, n, cout, blocks, oh, ow, rw, plan.Left, dyT, vectorized);
            for (int iy = 0; iy < h; iy++)
            {
                for (int p = 0; p < plan.Phases; p++)
                {
                    int count = plan.PhaseCount[p];
                    if (count == 0) continue;
                    int groups = 0;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int num = iy + pby - ky;
                        if (((num % sy) + sy) % sy != 0) continue;
                        int oy = num / sy;
                        if ((uint)oy >= (uint)oh) continue;
                        foreach (var (kx, q) in plan.PhaseTaps[p])
                        {
                            dyOffsets[groups] = oy * rw + plan.Left + q;
                            wOffsets[groups] = (ky * kw + kx) * cout * cin;
                            groups++;
                        }
                    }
                    fixed (int* dyo = dyOffsets, wo = wOffsets)
                    {
                        // Every element is the same chain whichever tile computes it; wide tiles load each
                        // tap's weights once per 64 positions instead of 32.
                        int tile = vectorized && cin <= WideDataChannels ? WideDataTile : DataTile;
                        for (int m0 = 0; m0 < count; m0 += tile)
                        {
                            float* phaseOut = rowOut + p * cin * mp + m0;
                            if (tile == WideDataTile) WideDataTile512(cin, dyT + m0, wt, dyo, wo, groups, taps, phaseOut, mp);
                            else if (vectorized) DataTile512(cin, dyT + m0, wt, dyo, wo, groups, taps, phaseOut, mp);
                            else DataTileScalar(cin, dyT + m0, wt, dyo, wo, groups, taps, phaseOut, mp);
                        }
                    }
                }
                // Scatter the phases of the row: dx[n, ci, iy, s·m + p] = rowOut[p][ci][m].
                for (int ci = 0; ci < cin; ci++)
                {
                    float* dst = dx + ((long)(n * cin + ci) * h + iy) * w;
                    if (pairVectors)
                    {
                        float* even = rowOut + ci * mp, odd = rowOut + (cin + ci) * mp;
                        for (int m = 0; m < plan.PhaseCount[0]; m += Lanes)
                        {
                            var e = Vector512.Load(even + m);
                            var o = Vector512.Load(odd + m);
                            Avx512F.PermuteVar16x32x2(e, interleaveLo, o).Store(dst + 2 * m);
                            Avx512F.PermuteVar16x32x2(e, interleaveHi, o).Store(dst + 2 * m + Lanes);
                        }
                        continue;
                    }
                    for (int p = 0; p < plan.Phases; p++)
                    {
                        int count = plan.PhaseCount[p];
                        float* src = rowOut + (p * cin + ci) * mp;
                        if (sx == 1) new ReadOnlySpan<float>(src, count).CopyTo(new Span<float>(dst, count));
                        else for (int m = 0; m < count; m++) dst[m * sx + p] = src[m];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sample n of dy as [co][oy][rw] rows, column ox at left + ox, zeros around. From blocked dy, whole 16×16 tiles
    /// go through registers on the vector path and write rows for the padding channels too (dyT has blocks·16 channel
    /// rows; those are never read).
    /// </summary>
    private static void TransposeSample(bool dyBlocked, float* dy, int n, int cout, int blocks, int oh, int ow, int rw, int left, float* dyT, bool vectorized)
    {
        int ox0 = 0;
        if (dyBlocked && vectorized)
        {
            for (int b = 0; b < blocks; b++)
                for (int oy = 0; oy < oh; oy++)
                {
                    float* src = dy + (((long)n * blocks + b) * oh + oy) * ow * Lanes;
                    float* dst = dyT + ((long)b * Lanes * oh + oy) * rw + left;
                    for (int x0 = 0; x0 + Lanes <= ow; x0 += Lanes)
                        Transpose16(src + x0 * Lanes, Lanes, Lanes, dst + x0, (long)oh * rw);
                }
            ox0 = ow / Lanes * Lanes;
        }
        for (int co = 0; co < cout; co++)
        {
            float* srcBase = dyBlocked
                ? dy + (((long)n * blocks + co / Lanes) * oh * ow) * Lanes + co % Lanes
                : dy + ((long)n * cout + co) * oh * ow;
            int step = dyBlocked ? Lanes : 1;
            for (int oy = 0; oy < oh; oy++)
            {
                float* d = dyT + ((long)co * oh + oy) * rw;
                new Span<float>(d, left).Clear();
                new Span<float>(d + left + ow, rw - left - ow).Clear();
                float* s = srcBase + (long)oy * ow * step;
                if (step == 1) new ReadOnlySpan<float>(s, ow).CopyTo(new Span<float>(d + left, ow));
                else for (int ox = ox0; ox < ow; ox++) d[left + ox] = s[ox * Lanes];
            }
        }
    }

    /// <summary>Output channels per tap group and their strides in the transposed dy and in the weights.</summary>
    private readonly record struct DataTaps(int Channels, int DyStride, int WStride);

    private static void DataTile512(int cin, float* dyT, float* wt, int* dyo, int* wo, int groups, DataTaps taps, float* dst, int dstStride)
    {
        switch (cin)
        {
            case 1: DataTile512<C1>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 2: DataTile512<C2>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 3: DataTile512<C3>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 4: DataTile512<C4>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 5: DataTile512<C5>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 6: DataTile512<C6>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 7: DataTile512<C7>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            default: DataTile512<C8>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
        }
    }

    /// <summary>
    /// dst[ci][0..32) = Σ over the tap groups g and output channels co of dyT[dyo[g] + co·DyStride + (0..32)] ·
    /// wt[wo[g] + co·WStride + ci], for ci &lt; TCin, in (g, co) order: two registers per input channel, each tap's two
    /// dy vectors shared by all channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DataTile512<TCin>(float* dyT, float* wt, int* dyo, int* wo, int groups, DataTaps taps, float* dst, int dstStride)
        where TCin : struct, IConstant
    {
        int nc = TCin.Value;
        int channels = taps.Channels, dyStride = taps.DyStride, wStride = taps.WStride;
        var z = Vector512<float>.Zero;
        Vector512<float> a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        Vector512<float> b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
        for (int g = 0; g < groups; g++)
        {
            float* d = dyT + dyo[g];
            float* wv = wt + wo[g];
            for (int co = 0; co < channels; co++, d += dyStride, wv += wStride)
            {
                var u = Vector512.Load(d);
                var v = Vector512.Load(d + Lanes);
                Vector512<float> s;
                s = Vector512.Create(wv[0]); a0 = Vector512.FusedMultiplyAdd(u, s, a0); b0 = Vector512.FusedMultiplyAdd(v, s, b0);
                if (nc > 1) { s = Vector512.Create(wv[1]); a1 = Vector512.FusedMultiplyAdd(u, s, a1); b1 = Vector512.FusedMultiplyAdd(v, s, b1); }
                if (nc > 2) { s = Vector512.Create(wv[2]); a2 = Vector512.FusedMultiplyAdd(u, s, a2); b2 = Vector512.FusedMultiplyAdd(v, s, b2); }
                if (nc > 3) { s = Vector512.Create(wv[3]); a3 = Vector512.FusedMultiplyAdd(u, s, a3); b3 = Vector512.FusedMultiplyAdd(v, s, b3); }
                if (nc > 4) { s = Vector512.Create(wv[4]); a4 = Vector512.FusedMultiplyAdd(u, s, a4); b4 = Vector512.FusedMultiplyAdd(v, s, b4); }
                if (nc > 5) { s = Vector512.Create(wv[5]); a5 = Vector512.FusedMultiplyAdd(u, s, a5); b5 = Vector512.FusedMultiplyAdd(v, s, b5); }
                if (nc > 6) { s = Vector512.Create(wv[6]); a6 = Vector512.FusedMultiplyAdd(u, s, a6); b6 = Vector512.FusedMultiplyAdd(v, s, b6); }
                if (nc > 7) { s = Vector512.Create(wv[7]); a7 = Vector512.FusedMultiplyAdd(u, s, a7); b7 = Vector512.FusedMultiplyAdd(v, s, b7); }
            }
        }
        a0.Store(dst); b0.Store(dst + Lanes);
        if (nc > 1) { a1.Store(dst + dstStride); b1.Store(dst + dstStride + Lanes); }
        if (nc > 2) { a2.Store(dst + 2 * dstStride); b2.Store(dst + 2 * dstStride + Lanes); }
        if (nc > 3) { a3.Store(dst + 3 * dstStride); b3.Store(dst + 3 * dstStride + Lanes); }
        if (nc > 4) { a4.Store(dst + 4 * dstStride); b4.Store(dst + 4 * dstStride + Lanes); }
        if (nc > 5) { a5.Store(dst + 5 * dstStride); b5.Store(dst + 5 * dstStride + Lanes); }
        if (nc > 6) { a6.Store(dst + 6 * dstStride); b6.Store(dst + 6 * dstStride + Lanes); }
        if (nc > 7) { a7.Store(dst + 7 * dstStride); b7.Store(dst + 7 * dstStride + Lanes); }
    }

    private static void WideDataTile512(int cin, float* dyT, float* wt, int* dyo, int* wo, int groups, DataTaps taps, float* dst, int dstStride)
    {
        switch (cin)
        {
            case 1: WideDataTile512<C1>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 2: WideDataTile512<C2>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 3: WideDataTile512<C3>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            case 4: WideDataTile512<C4>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
            default: WideDataTile512<C5>(dyT, wt, dyo, wo, groups, taps, dst, dstStride); return;
        }
    }

    /// <summary><see cref="DataTile512{TCin}"/> over 64 positions (four registers per input channel, TCin ≤ 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideDataTile512<TCin>(float* dyT, float* wt, int* dyo, int* wo, int groups, DataTaps taps, float* dst, int dstStride)
        where TCin : struct, IConstant
    {
        int nc = TCin.Value;
        int channels = taps.Channels, dyStride = taps.DyStride, wStride = taps.WStride;
        var z = Vector512<float>.Zero;
        Vector512<float> a0 = z, a1 = z, a2 = z, a3 = z, a4 = z;
        Vector512<float> b0 = z, b1 = z, b2 = z, b3 = z, b4 = z;
        Vector512<float> c0 = z, c1 = z, c2 = z, c3 = z, c4 = z;
        Vector512<float> e0 = z, e1 = z, e2 = z, e3 = z, e4 = z;
        for (int g = 0; g < groups; g++)
        {
            float* d = dyT + dyo[g];
            float* wv = wt + wo[g];
            for (int co = 0; co < channels; co++, d += dyStride, wv += wStride)
            {
                var u = Vector512.Load(d);
                var v = Vector512.Load(d + Lanes);
                var q = Vector512.Load(d + 2 * Lanes);
                var r = Vector512.Load(d + 3 * Lanes);
                Vector512<float> s;
                s = Vector512.Create(wv[0]);
                a0 = Vector512.FusedMultiplyAdd(u, s, a0); b0 = Vector512.FusedMultiplyAdd(v, s, b0);
                c0 = Vector512.FusedMultiplyAdd(q, s, c0); e0 = Vector512.FusedMultiplyAdd(r, s, e0);
                if (nc > 1)
                {
                    s = Vector512.Create(wv[1]);
                    a1 = Vector512.FusedMultiplyAdd(u, s, a1); b1 = Vector512.FusedMultiplyAdd(v, s, b1);
                    c1 = Vector512.FusedMultiplyAdd(q, s, c1); e1 = Vector512.FusedMultiplyAdd(r, s, e1);
                }
                if (nc > 2)
                {
                    s = Vector512.Create(wv[2]);
                    a2 = Vector512.FusedMultiplyAdd(u, s, a2); b2 = Vector512.FusedMultiplyAdd(v, s, b2);
                    c2 = Vector512.FusedMultiplyAdd(q, s, c2); e2 = Vector512.FusedMultiplyAdd(r, s, e2);
                }
                if (nc > 3)
                {
                    s = Vector512.Create(wv[3]);
                    a3 = Vector512.FusedMultiplyAdd(u, s, a3); b3 = Vector512.FusedMultiplyAdd(v, s, b3);
                    c3 = Vector512.FusedMultiplyAdd(q, s, c3); e3 = Vector512.FusedMultiplyAdd(r, s, e3);
                }
                if (nc > 4)
                {
                    s = Vector512.Create(wv[4]);
                    a4 = Vector512.FusedMultiplyAdd(u, s, a4); b4 = Vector512.FusedMultiplyAdd(v, s, b4);
                    c4 = Vector512.FusedMultiplyAdd(q, s, c4); e4 = Vector512.FusedMultiplyAdd(r, s, e4);
                }
            }
        }
        Store4(dst, a0, b0, c0, e0);
        if (nc > 1) Store4(dst + dstStride, a1, b1, c1, e1);
        if (nc > 2) Store4(dst + 2 * dstStride, a2, b2, c2, e2);
        if (nc > 3) Store4(dst + 3 * dstStride, a3, b3, c3, e3);
        if (nc > 4) Store4(dst + 4 * dstStride, a4, b4, c4, e4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* p, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.Store(p);
        b.Store(p + Lanes);
        c.Store(p + 2 * Lanes);
        d.Store(p + 3 * Lanes);
    }

    /// <summary>The scalar twin of <see cref="DataTile512{TCin}"/>: the same fused chains per element.</summary>
    private static void DataTileScalar(int cin, float* dyT, float* wt, int* dyo, int* wo, int groups, DataTaps taps, float* dst, int dstStride)
    {
        for (int ci = 0; ci < cin; ci++)
            for (int j = 0; j < DataTile; j++)
            {
                float r = 0;
                for (int g = 0; g < groups; g++)
                    for (int co = 0; co < taps.Channels; co++)
                        r = MathF.FusedMultiplyAdd(dyT[dyo[g] + co * taps.DyStride + j], wt[wo[g] + co * taps.WStride + ci], r);
                dst[ci * dstStride + j] = r;
            }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static int Blocks(int channels) => (channels + Lanes - 1) / Lanes;

    private static void CheckLength(string name, int actual, long expected)
    {
        if (actual != expected)
            throw new ArgumentException($"FewChannelConv: {name} has {actual} elements; the geometry needs {expected}.");
    }

    /// <summary>A compile-time integer for the register-tile sizes (the JIT specialises each struct and folds Value).</summary>
    private interface IConstant { static abstract int Value { get; } }
    private struct C1 : IConstant { public static int Value => 1; }
    private struct C2 : IConstant { public static int Value => 2; }
    private struct C3 : IConstant { public static int Value => 3; }
    private struct C4 : IConstant { public static int Value => 4; }
    private struct C5 : IConstant { public static int Value => 5; }
    private struct C6 : IConstant { public static int Value => 6; }
    private struct C7 : IConstant { public static int Value => 7; }
    private struct C8 : IConstant { public static int Value => 8; }
}
