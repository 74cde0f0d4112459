using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Forward and backward-weights passes of float32 2-D stride-1 convolutions with one output channel on NCHW
/// (EEVRSR's residual 6→1 5×5 layer). oneDNN 2.6 has a single output-channel block there and ran them at about
/// 10 GFLOP/s (<c>./bench convprobe</c>, N 8 at 128², one thread: forward 4.3 ms, backward weights 6.9 ms on its AVX2
/// kernel, for 39 MFLOP each). Both kernels vectorise along the output row instead: the forward pass keeps four
/// 16-pixel accumulators and broadcasts one weight per tap; the weight gradient keeps one 16-lane accumulator per tap
/// of a kernel row, each lane summing its own columns, and adds the lanes in order at the end of a sample.
/// The input is copied once into rows padded with zeros, so no tap needs a bounds test.
/// <para>
/// Every output element is one fixed chain of fused multiply-adds (forward: taps in (ci, ky, kx) order from zero, then
/// the bias; weights: per lane over the sample's rows and 16-column steps, lanes added in order, samples added in
/// order), whatever the thread count; the scalar path (<c>vectorized: false</c>) runs the same chains, so both give
/// bit-identical results. Backward data already runs as a forward convolution with the flipped kernel
/// (<c>DnnlKernels.TransposedBackwardDataPays</c>).
/// </para>
/// </summary>
internal static unsafe class SingleOutputConv
{
    private const int Lanes = 16;

    /// <summary>Output columns per forward register tile (four vectors).</summary>
    private const int ForwardTile = 4 * Lanes;

    /// <summary>Whether the AVX-512 path can run on this CPU.</summary>
    public static bool VectorizedAvailable => Avx512F.IsSupported;

    /// <summary>The geometries these kernels take: 2-D, ungrouped, stride 1, undilated, one output channel.</summary>
    public static bool Applies(ConvGeometry g) =>
        g.SpatialRank == 2 && g.Groups == 1 && g.OutChannels == 1 && g.N > 0 &&
        g.Stride[0] == 1 && g.Stride[1] == 1 && g.Dilation[0] == 1 && g.Dilation[1] == 1;

    /// <summary>Padded input: [N][Cin][H][Wp], column j holding input column j − padBegin (zero outside).</summary>
    private readonly record struct Padded(int Width, int OutWidthPadded);

    private static Padded PaddedSizes(ConvGeometry g, int tile)
    {
        int owp = (g.OutSize[1] + tile - 1) / tile * tile;
        return new Padded(owp + g.Kernel[1] - 1, owp);
    }

    /// <summary>Copies x into zero-padded rows (in parallel over rows).</summary>
    private static void PadInput(ConvGeometry g, float* x, float* pad, int wp)
    {
        int rows = g.N * g.InChannels * g.InSize[0], w = g.InSize[1], pbx = g.PadBegin[1];
        int copyLo = Math.Max(0, pbx), copyHi = Math.Min(wp, pbx + w);
        nint xp = (nint)x, pp = (nint)pad;
        RangeParallel.For(rows, wp, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var row = new Span<float>((float*)pp + (long)r * wp, wp);
                row.Clear();
                if (copyHi > copyLo)
                    new ReadOnlySpan<float>((float*)xp + (long)r * w + (copyLo - pbx), copyHi - copyLo).CopyTo(row[copyLo..copyHi]);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Forward
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>y [N, 1, OH, OW] = conv(x, w) (+ bias when not empty).</summary>
    public static void Forward(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, bool vectorized)
    {
        if (!Applies(g)) throw new ArgumentException($"SingleOutputConv: geometry {g.ProfileLabel("conv")} is outside its range.");
        if (vectorized && !VectorizedAvailable) throw new PlatformNotSupportedException("SingleOutputConv: AVX-512 is not available.");
        int cin = g.InChannels, kh = g.Kernel[0], kw = g.Kernel[1], h = g.InSize[0], oh = g.OutSize[0], ow = g.OutSize[1];
        CheckLength("x", x.Length, (long)g.N * cin * g.InPlane);
        CheckLength("w", w.Length, (long)cin * kh * kw);
        CheckLength("y", y.Length, (long)g.N * g.OutPlane);
        if (!bias.IsEmpty) CheckLength("bias", bias.Length, 1);
        bool hasBias = !bias.IsEmpty;
        float b = hasBias ? bias[0] : 0;
        var sizes = PaddedSizes(g, ForwardTile);
        int wp = sizes.Width, owp = sizes.OutWidthPadded, pby = g.PadBegin[0];
        using var padLease = ScratchBuffers.Rent<float>((long)g.N * cin * h * wp);
        float* pad = padLease.Pointer<float>();
        fixed (float* px = x, pw = w, py = y)
        {
            PadInput(g, px, pad, wp);
            nint pp = (nint)pad, wptr = (nint)pw, yp = (nint)py;
            RangeParallel.For(g.N * oh, (long)owp * cin * kh * kw, (start, end) =>
            {
                using var rowLease = ScratchBuffers.Rent<float>(owp);
                float* row = rowLease.Pointer<float>();
                for (int r = start; r < end; r++)
                {
                    int n = r / oh, oy = r % oh;
                    float* sample = (float*)pp + (long)n * cin * h * wp;
                    for (int ox0 = 0; ox0 < owp; ox0 += ForwardTile)
                    {
                        if (vectorized) ForwardTile512(sample, (float*)wptr, cin, h, wp, kh, kw, oy - pby, ox0, row + ox0);
                        else ForwardTileScalar(sample, (float*)wptr, cin, h, wp, kh, kw, oy - pby, ox0, row + ox0);
                    }
                    float* dst = (float*)yp + (long)r * ow;
                    for (int ox = 0; ox < ow; ox++) dst[ox] = hasBias ? row[ox] + b : row[ox];
                }
            });
        }
    }

    /// <summary>dst[0..64) = Σ over (ci, ky, kx) of the padded input at (iy0 + ky, ox0 + kx + j) · w[ci, ky, kx].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardTile512(float* sample, float* w, int cin, int h, int wp, int kh, int kw, int iy0, int ox0, float* dst)
    {
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < kh; ky++)
            {
                int iy = iy0 + ky;
                if ((uint)iy >= (uint)h) continue;
                float* xr = sample + ((long)ci * h + iy) * wp + ox0;
                float* wr = w + (ci * kh + ky) * kw;
                for (int kx = 0; kx < kw; kx++)
                {
                    var s = Vector512.Create(wr[kx]);
                    float* p = xr + kx;
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(p), s, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(p + Lanes), s, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 2 * Lanes), s, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 3 * Lanes), s, a3);
                }
            }
        a0.Store(dst);
        a1.Store(dst + Lanes);
        a2.Store(dst + 2 * Lanes);
        a3.Store(dst + 3 * Lanes);
    }

    /// <summary>The scalar twin of <see cref="ForwardTile512"/>.</summary>
    private static void ForwardTileScalar(float* sample, float* w, int cin, int h, int wp, int kh, int kw, int iy0, int ox0, float* dst)
    {
        for (int j = 0; j < ForwardTile; j++)
        {
            float r = 0;
            for (int ci = 0; ci < cin; ci++)
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = iy0 + ky;
                    if ((uint)iy >= (uint)h) continue;
                    float* xr = sample + ((long)ci * h + iy) * wp + ox0 + j;
                    for (int kx = 0; kx < kw; kx++) r = MathF.FusedMultiplyAdd(xr[kx], w[(ci * kh + ky) * kw + kx], r);
                }
            dst[j] = r;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Backward weights
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>dw [1, Cin, kh, kw] = Σ dy·x and, if <paramref name="dbias"/> is not empty, dbias = Σ dy.</summary>
    public static void BackwardWeights(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias, bool vectorized)
    {
        if (!Applies(g)) throw new ArgumentException($"SingleOutputConv: geometry {g.ProfileLabel("conv")} is outside its range.");
        if (vectorized && !VectorizedAvailable) throw new PlatformNotSupportedException("SingleOutputConv: AVX-512 is not available.");
        int cin = g.InChannels, kh = g.Kernel[0], kw = g.Kernel[1], h = g.InSize[0];
        CheckLength("x", x.Length, (long)g.N * cin * g.InPlane);
        CheckLength("dy", dy.Length, (long)g.N * g.OutPlane);
        CheckLength("dw", dw.Length, (long)cin * kh * kw);
        bool hasBias = !dbias.IsEmpty;
        if (hasBias) CheckLength("dbias", dbias.Length, 1);
        var sizes = PaddedSizes(g, Lanes);
        int wp = sizes.Width;
        int taps = cin * kh * kw;
        int slot = taps + 1;
        using var padLease = ScratchBuffers.Rent<float>((long)g.N * cin * h * wp);
        float* pad = padLease.Pointer<float>();
        using var totalsLease = ScratchBuffers.Rent<float>((long)g.N * slot);
        float* totals = totalsLease.Pointer<float>();
        fixed (float* px = x, pdy = dy)
        {
            PadInput(g, px, pad, wp);
            nint pp = (nint)pad, dyp = (nint)pdy, tp = (nint)totals;
            RangeParallel.For(g.N, (long)g.OutPlane * taps, (start, end) =>
            {
                for (int n = start; n < end; n++)
                    WeightsSample(g, sizes, (float*)pp, (float*)dyp, n, (float*)tp + (long)n * slot, vectorized);
            });
        }
        for (int n = 1; n < g.N; n++)
            for (int i = 0; i < slot; i++) totals[i] += totals[(long)n * slot + i];
        new ReadOnlySpan<float>(totals, taps).CopyTo(dw);
        if (hasBias) dbias[0] = totals[taps];
    }

    /// <summary>Sample n's sums per tap (then the bias sum) into <paramref name="slot"/>.</summary>
    private static void WeightsSample(ConvGeometry g, Padded sizes, float* pad, float* dy, int n, float* slot, bool vectorized)
    {
        int cin = g.InChannels, kh = g.Kernel[0], kw = g.Kernel[1], h = g.InSize[0], oh = g.OutSize[0], ow = g.OutSize[1];
        int wp = sizes.Width, owp = sizes.OutWidthPadded, pby = g.PadBegin[0];
        // dy rows padded with zeros to whole vectors; lane accumulators [tap][16], then the bias lanes.
        using var dyLease = ScratchBuffers.Rent<float>((long)oh * owp);
        float* dyPad = dyLease.Pointer<float>();
        for (int oy = 0; oy < oh; oy++)
        {
            float* d = dyPad + (long)oy * owp;
            new ReadOnlySpan<float>(dy + ((long)n * oh + oy) * ow, ow).CopyTo(new Span<float>(d, ow));
            new Span<float>(d + ow, owp - ow).Clear();
        }
        int taps = cin * kh * kw;
        using var laneLease = ScratchBuffers.Rent<float>((long)(taps + 1) * Lanes);
        float* lanes = laneLease.Pointer<float>();
        new Span<float>(lanes, (taps + 1) * Lanes).Clear();
        float* sample = pad + (long)n * cin * h * wp;
        for (int oy = 0; oy < oh; oy++)
        {
            float* d = dyPad + (long)oy * owp;
            if (vectorized)
            {
                var bl = Vector512.Load(lanes + taps * Lanes);
                for (int j = 0; j < owp; j += Lanes) bl += Vector512.Load(d + j);
                bl.Store(lanes + taps * Lanes);
            }
            else
                for (int l = 0; l < Lanes; l++)
                {
                    float r = lanes[taps * Lanes + l];
                    for (int j = 0; j < owp; j += Lanes) r += d[j + l];
                    lanes[taps * Lanes + l] = r;
                }
            for (int ci = 0; ci < cin; ci++)
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = oy + ky - pby;
                    if ((uint)iy >= (uint)h) continue;
                    float* xr = sample + ((long)ci * h + iy) * wp;
                    float* acc = lanes + (ci * kh + ky) * kw * Lanes;
                    for (int kx0 = 0; kx0 < kw; kx0 += 8)
                    {
                        int t = Math.Min(8, kw - kx0);
                        if (vectorized) WeightsRow512(t, xr + kx0, d, owp, acc + kx0 * Lanes);
                        else WeightsRowScalar(t, xr + kx0, d, owp, acc + kx0 * Lanes);
                    }
                }
        }
        // Lanes added in order.
        for (int i = 0; i <= taps; i++)
        {
            float s = 0;
            for (int l = 0; l < Lanes; l++) s += lanes[i * Lanes + l];
            slot[i] = s;
        }
    }

    /// <summary>acc[t] (16 lanes) continues its chains over one row: acc[t] = fma(dy[j..], x[j + t..], acc[t]) per 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightsRow512(int taps, float* x, float* d, int owp, float* acc)
    {
        var z = Vector512<float>.Zero;
        var a0 = Vector512.Load(acc);
        Vector512<float> a1 = taps > 1 ? Vector512.Load(acc + Lanes) : z, a2 = taps > 2 ? Vector512.Load(acc + 2 * Lanes) : z;
        Vector512<float> a3 = taps > 3 ? Vector512.Load(acc + 3 * Lanes) : z, a4 = taps > 4 ? Vector512.Load(acc + 4 * Lanes) : z;
        Vector512<float> a5 = taps > 5 ? Vector512.Load(acc + 5 * Lanes) : z, a6 = taps > 6 ? Vector512.Load(acc + 6 * Lanes) : z;
        Vector512<float> a7 = taps > 7 ? Vector512.Load(acc + 7 * Lanes) : z;
        for (int j = 0; j < owp; j += Lanes)
        {
            var u = Vector512.Load(d + j);
            float* p = x + j;
            a0 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p), a0);
            if (taps > 1) a1 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 1), a1);
            if (taps > 2) a2 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 2), a2);
            if (taps > 3) a3 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 3), a3);
            if (taps > 4) a4 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 4), a4);
            if (taps > 5) a5 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 5), a5);
            if (taps > 6) a6 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 6), a6);
            if (taps > 7) a7 = Vector512.FusedMultiplyAdd(u, Vector512.Load(p + 7), a7);
        }
        a0.Store(acc);
        if (taps > 1) a1.Store(acc + Lanes);
        if (taps > 2) a2.Store(acc + 2 * Lanes);
        if (taps > 3) a3.Store(acc + 3 * Lanes);
        if (taps > 4) a4.Store(acc + 4 * Lanes);
        if (taps > 5) a5.Store(acc + 5 * Lanes);
        if (taps > 6) a6.Store(acc + 6 * Lanes);
        if (taps > 7) a7.Store(acc + 7 * Lanes);
    }

    /// <summary>The scalar twin of <see cref="WeightsRow512"/>.</summary>
    private static void WeightsRowScalar(int taps, float* x, float* d, int owp, float* acc)
    {
        for (int t = 0; t < taps; t++)
            for (int l = 0; l < Lanes; l++)
            {
                float r = acc[t * Lanes + l];
                for (int j = 0; j < owp; j += Lanes) r = MathF.FusedMultiplyAdd(d[j + l], x[j + l + t], r);
                acc[t * Lanes + l] = r;
            }
    }

    private static void CheckLength(string name, int actual, long expected)
    {
        if (actual != expected)
            throw new ArgumentException($"SingleOutputConv: {name} has {actual} elements; the geometry needs {expected}.");
    }
}
