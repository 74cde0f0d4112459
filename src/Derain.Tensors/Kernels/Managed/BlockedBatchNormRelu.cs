using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Float32 batch norm + ReLU whose output is channel-blocked ([N, ⌈C/16⌉, H·W, 16], <see cref="Ops.ChannelBlock"/>)
/// while its input stays planar [N, C, H·W]: <see cref="Ops.BatchNormReluToChannelBlocks"/>, the op before a
/// convolution that reads blocked activations (EEVRSR's dense layers: BN → ReLU → 3×3). Fusing the layout change
/// into the normalisation pass saves the separate reorder of the output and, in the backward pass, of its gradient
/// (two full reads and writes of the 48-channel activation per layer and step).
/// <para>
/// Every value is computed by the planar kernels' own arithmetic (<see cref="CenterScaleShiftRelu{T}"/>,
/// <see cref="LaneMaps.ReluMaskedSumAndDotCentered{T}"/>, <see cref="ReluMaskedNormInputGrad{T}"/>) on the same
/// operands in the same order, so the results equal <c>ToChannelBlocks(BatchNormRelu(x))</c> and its gradients bit for
/// bit: a channel's rows are normalised into a small planar tile, which 16×16 register transposes then write as
/// blocks (and the backward pass transposes dy's blocks back into planar rows before using them). The backward sums
/// are taken over tiles of exactly <see cref="LaneMaps.SumBlock"/> pixels — the planar kernel's summation blocks —
/// and added per (sample, channel) and then over samples in the planar kernel's order. Work is split over
/// (sample, channel block) units, each computed alone, so no result depends on the thread count. Without AVX-512
/// (<c>vectorized: false</c>) the transposes are scalar loops moving the same values.
/// </para>
/// </summary>
internal static unsafe class BlockedBatchNormRelu
{
    private const int Lanes = Ops.ChannelBlock;

    /// <summary>Pixels per tile of the backward pass: one summation block of the planar kernel (128 KiB of tile for 16 channels).</summary>
    private const int Tile = LaneMaps.SumBlock;

    /// <summary>
    /// Floats from one tile row to the next: one cache line more than <see cref="Tile"/>, so the 16 rows a transpose
    /// touches fall into different L1 sets (at 8 KiB apart they would all share one set and evict each other).
    /// </summary>
    private const int RowStride = Tile + Lanes;

    /// <summary>The forward pass has no sums to align with: its tile of 16 × 256 pixels (16 KiB) stays in L1.</summary>
    private const int ForwardTile = 256;

    private const int ForwardRowStride = ForwardTile + Lanes;

    /// <summary>Whether the register transposes can run (AVX-512F).</summary>
    public static bool Vectorized => Avx512F.IsSupported;

    /// <summary>
    /// y (blocked [n, ⌈C/16⌉, plane, 16], padding lanes zero) = max((x − mean)·scale + shift, 0) for planar x [n, C, plane],
    /// with scale = invStd·weight (invStd without a weight) and shift = bias (0 without one), as the planar forward.
    /// </summary>
    public static void Forward(int n, int channels, int plane, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, bool vectorized)
    {
        int blocks = Check("Forward", n, channels, plane, x.Length, y.Length, mean.Length, invStd.Length, weight.Length, bias.Length);
        var (scale, shift) = ScaleShift(channels, invStd, weight, bias);
        fixed (float* px = x, pm = mean, py = y)
        {
            nint xa = (nint)px, ma = (nint)pm, ya = (nint)py;
            RangeParallel.For(n * blocks, 2L * Lanes * plane, (start, end) =>
            {
                using var lease = ScratchBuffers.Rent<float>((long)Lanes * ForwardRowStride);
                float* tile = lease.Pointer<float>();
                for (int u = start; u < end; u++)
                {
                    int s = u / blocks, cb = u % blocks, lanes = Math.Min(Lanes, channels - cb * Lanes);
                    float* xs = (float*)xa + ((long)s * channels + cb * Lanes) * plane;
                    float* yb = (float*)ya + (long)u * plane * Lanes;
                    for (int p0 = 0; p0 < plane; p0 += ForwardTile)
                    {
                        int len = Math.Min(ForwardTile, plane - p0);
                        for (int l = 0; l < lanes; l++)
                        {
                            int c = cb * Lanes + l;
                            LaneMaps.Map(new ReadOnlySpan<float>(xs + (long)l * plane + p0, len), new Span<float>(tile + l * ForwardRowStride, len),
                                new CenterScaleShiftRelu<float>(((float*)ma)[c], scale[c], shift[c]));
                        }
                        ToBlocks(tile, ForwardRowStride, lanes, len, yb + (long)p0 * Lanes, vectorized);
                    }
                }
            });
        }
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> for blocked dy: dx planar [n, C, plane] (skipped when empty), dweight and dbias
    /// [C] (each skipped when empty), as the planar BatchNormReluBackward computes them. <paramref name="batchStatistics"/>:
    /// mean and invStd came from x.
    /// </summary>
    public static void Backward(int n, int channels, int plane, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, bool batchStatistics, Span<float> dx, Span<float> dweight,
        Span<float> dbias, bool vectorized)
    {
        int blocks = Check("Backward", n, channels, plane, x.Length, dy.Length, mean.Length, invStd.Length, weight.Length, bias.Length);
        bool wantDx = !dx.IsEmpty, wantDw = !dweight.IsEmpty, wantDb = !dbias.IsEmpty;
        if (wantDx && dx.Length != x.Length) throw new ArgumentException($"BlockedBatchNormRelu.Backward: dx has {dx.Length} elements, x {x.Length}.");
        if (wantDw && dweight.Length != channels) throw new ArgumentException($"BlockedBatchNormRelu.Backward: dweight has {dweight.Length} elements for {channels} channels.");
        if (wantDb && dbias.Length != channels) throw new ArgumentException($"BlockedBatchNormRelu.Backward: dbias has {dbias.Length} elements for {channels} channels.");
        bool needSums = wantDw || wantDb || (wantDx && batchStatistics);
        long count = (long)n * plane;
        var (scale, shift) = ScaleShift(channels, invStd, weight, bias);
        var ms = mean.ToArray();
        var isd = invStd.ToArray();
        fixed (float* px = x, pg = dy, pdx = dx)
        {
            nint xa = (nint)px, ga = (nint)pg, dxa = (nint)pdx;
            // Pass 1: Σ g and Σ g·(x − mean) per (sample, channel), g the ReLU-masked dy.
            var planeSums = new double[n * channels];
            var planeDots = new double[n * channels];
            if (needSums)
            {
                RangeParallel.For(n * blocks, 2L * Lanes * plane, (start, end) =>
                {
                    using var lease = ScratchBuffers.Rent<float>((long)Lanes * RowStride);
                    float* tile = lease.Pointer<float>();
                    for (int u = start; u < end; u++)
                    {
                        int s = u / blocks, cb = u % blocks, lanes = Math.Min(Lanes, channels - cb * Lanes);
                        float* xs = (float*)xa + ((long)s * channels + cb * Lanes) * plane;
                        float* gb = (float*)ga + (long)u * plane * Lanes;
                        for (int p0 = 0; p0 < plane; p0 += Tile)
                        {
                            int len = Math.Min(Tile, plane - p0);
                            FromBlocks(gb + (long)p0 * Lanes, lanes, len, tile, vectorized);
                            for (int l = 0; l < lanes; l++)
                            {
                                int c = cb * Lanes + l;
                                // One summation block (len ≤ SumBlock): the planar kernel's partial sums of this block.
                                var (a, b) = LaneMaps.ReluMaskedSumAndDotCentered(new ReadOnlySpan<float>(tile + l * RowStride, len),
                                    new ReadOnlySpan<float>(xs + (long)l * plane + p0, len), ms[c], new ReluMaskedGrad<float>(ms[c], scale[c], shift[c]));
                                planeSums[s * channels + c] += a;
                                planeDots[s * channels + c] += b;
                            }
                        }
                    }
                });
            }
            // Per channel, as the planar kernel: the samples' sums added in sample order, then the constants of dx.
            var k = new float[channels];
            var c1 = new float[channels];
            var c2 = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double sumG = 0, sumGx = 0;
                for (int s = 0; s < n; s++)
                {
                    sumG += planeSums[s * channels + c];
                    sumGx += planeDots[s * channels + c];
                }
                float rstd = isd[c];
                if (wantDb) dbias[c] = (float)sumG;
                if (wantDw) dweight[c] = (float)sumGx * rstd;
                k[c] = weight.IsEmpty ? rstd : weight[c] * rstd;
                c1[c] = batchStatistics ? (float)(sumG / count) : 0f;
                c2[c] = batchStatistics ? (float)(sumGx / count) * rstd * rstd : 0f;
            }
            if (!wantDx) return;
            // Pass 2: dx, with dy's blocks transposed into planar rows again.
            RangeParallel.For(n * blocks, 3L * Lanes * plane, (start, end) =>
            {
                using var lease = ScratchBuffers.Rent<float>((long)Lanes * RowStride);
                float* tile = lease.Pointer<float>();
                for (int u = start; u < end; u++)
                {
                    int s = u / blocks, cb = u % blocks, lanes = Math.Min(Lanes, channels - cb * Lanes);
                    long rows = ((long)s * channels + cb * Lanes) * plane;
                    float* xs = (float*)xa + rows;
                    float* dxs = (float*)dxa + rows;
                    float* gb = (float*)ga + (long)u * plane * Lanes;
                    for (int p0 = 0; p0 < plane; p0 += Tile)
                    {
                        int len = Math.Min(Tile, plane - p0);
                        FromBlocks(gb + (long)p0 * Lanes, lanes, len, tile, vectorized);
                        for (int l = 0; l < lanes; l++)
                        {
                            int c = cb * Lanes + l;
                            var g = new ReadOnlySpan<float>(tile + l * RowStride, len);
                            var xr = new ReadOnlySpan<float>(xs + (long)l * plane + p0, len);
                            var dr = new Span<float>(dxs + (long)l * plane + p0, len);
                            var mask = new ReluMaskedGrad<float>(ms[c], scale[c], shift[c]);
                            if (batchStatistics) LaneMaps.Map(g, xr, dr, new ReluMaskedNormInputGrad<float>(mask, new NormInputGrad<float>(ms[c], k[c], c1[c], c2[c])));
                            else LaneMaps.Map(g, xr, dr, new ReluMaskedScale<float>(mask, k[c]));
                        }
                    }
                }
            });
        }
    }

    /// <summary>The forward's per-channel scale (invStd·weight) and shift (bias), computed as the planar kernel does.</summary>
    private static (float[] Scale, float[] Shift) ScaleShift(int channels, ReadOnlySpan<float> invStd, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            scale[c] = weight.IsEmpty ? invStd[c] : invStd[c] * weight[c];
            shift[c] = bias.IsEmpty ? 0f : bias[c];
        }
        return (scale, shift);
    }

    /// <summary>Tile rows (<paramref name="rowStride"/> floats apart, rows ≥ lanes read as zero) → len blocked pixels at dst.</summary>
    private static void ToBlocks(float* tile, int rowStride, int lanes, int len, float* dst, bool vectorized)
    {
        int p = 0;
        if (vectorized)
            for (; p + Lanes <= len; p += Lanes)
                FewChannelConv.Transpose16(tile + p, rowStride, lanes, dst + (long)p * Lanes, Lanes);
        for (; p < len; p++)
            for (int l = 0; l < Lanes; l++)
                dst[(long)p * Lanes + l] = l < lanes ? tile[l * rowStride + p] : 0f;
    }

    /// <summary>len blocked pixels at src → the first <paramref name="lanes"/> tile rows.</summary>
    private static void FromBlocks(float* src, int lanes, int len, float* tile, bool vectorized)
    {
        int p = 0;
        if (vectorized)
        {
            // A full 16×16 transpose writes all 16 rows; the tile has room for them (rows past lanes are unused).
            for (; p + Lanes <= len; p += Lanes)
                FewChannelConv.Transpose16(src + (long)p * Lanes, Lanes, Lanes, tile + p, RowStride);
        }
        for (; p < len; p++)
            for (int l = 0; l < lanes; l++)
                tile[l * RowStride + p] = src[(long)p * Lanes + l];
    }

    private static int Check(string kernel, int n, int channels, int plane, int xLength, int blockedLength, int meanLength, int invStdLength,
        int weightLength, int biasLength)
    {
        if (n < 0 || channels <= 0 || plane < 0) throw new ArgumentException($"BlockedBatchNormRelu.{kernel}: bad size [{n}, {channels}, {plane}].");
        int blocks = (channels + Lanes - 1) / Lanes;
        if (xLength != (long)n * channels * plane)
            throw new ArgumentException($"BlockedBatchNormRelu.{kernel}: planar buffer of {xLength} elements for [{n}, {channels}, {plane}].");
        if (blockedLength != (long)n * blocks * plane * Lanes)
            throw new ArgumentException($"BlockedBatchNormRelu.{kernel}: blocked buffer of {blockedLength} elements for [{n}, {blocks}, {plane}, {Lanes}].");
        if (meanLength != channels || invStdLength != channels || (weightLength != 0 && weightLength != channels) || (biasLength != 0 && biasLength != channels))
            throw new ArgumentException($"BlockedBatchNormRelu.{kernel}: per-channel buffers must have {channels} elements.");
        return blocks;
    }
}
