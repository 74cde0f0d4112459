using System.Numerics;
using System.Runtime.InteropServices;

namespace Derain.Data.Metrics;

/// <summary>
/// SSIM in the form of Wang et al. 2004 as MATLAB ssim_index.m and KAIR compute it: an 11×11 Gaussian window
/// with σ = 1.5 (fspecial('gaussian', 11, 1.5)), 'valid' filtering (no padding), C1 = (0.01·255)², C2 = (0.03·255)²,
/// float64 throughout, the mean of the SSIM map, averaged over planes.
/// </summary>
/// <remarks>
/// The window is separable, so each of the five local statistics (μx, μy, E[x²], E[y²], E[xy]) is filtered
/// along rows and then along columns: 22 taps per output instead of 121, and the symmetric window halves the
/// multiplies again. Both passes run on <see cref="Vector{T}"/> lanes across columns; the column tails evaluate
/// the same expression in scalar form, so results do not depend on the vector width.
/// </remarks>
internal static class Ssim
{
    public const int WindowSize = 11;
    private const double Sigma = 1.5;
    private const double C1 = 0.01 * 255 * 0.01 * 255;
    private const double C2 = 0.03 * 255 * 0.03 * 255;

    /// <summary>The normalised 1-D Gaussian; the 2-D window is its outer product.</summary>
    internal static readonly double[] Window = MakeWindow();

    /// <summary>Mean SSIM over all planes.</summary>
    public static double Compute(MetricPlanes a, MetricPlanes b)
    {
        if (a.Height < WindowSize || a.Width < WindowSize)
            throw new ArgumentException($"SSIM needs at least {WindowSize}×{WindowSize} pixels after cropping; the images are {a.Width}×{a.Height}.");
        var scratch = new Scratch(a.Width);
        double total = 0;
        for (int c = 0; c < a.Channels; c++) total += Plane(a.Plane(c), b.Plane(c), a.Height, a.Width, scratch);
        return total / a.Channels;
    }

    /// <summary>
    /// Working rows for one plane width: the five statistics of one input row, and a ring of the last 11
    /// row-filtered rows of each statistic, so the column pass reads from cache instead of a full-size plane.
    /// </summary>
    internal sealed class Scratch
    {
        public Scratch(int width)
        {
            Width = width;
            OutWidth = width - WindowSize + 1;
            Line = new double[5 * width];
            Ring = new double[5 * WindowSize * OutWidth];
            Stats = new double[5 * OutWidth];
        }

        public int Width { get; }

        public int OutWidth { get; }

        /// <summary>x, y, x², y², xy of the current input row.</summary>
        public double[] Line { get; }

        /// <summary>Statistic s, ring slot k at [(s·11 + k)·OutWidth].</summary>
        public double[] Ring { get; }

        /// <summary>The five filtered statistics of the current output row.</summary>
        public double[] Stats { get; }
    }

    /// <summary>Mean of the SSIM map of one plane pair.</summary>
    internal static double Plane(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int height, int width, Scratch? scratch = null)
    {
        scratch ??= new Scratch(width);
        int outW = scratch.OutWidth, outH = height - WindowSize + 1;
        var line = scratch.Line;
        var ring = scratch.Ring;
        var stats = scratch.Stats;
        Span<int> slots = stackalloc int[WindowSize];
        double sum = 0;
        for (int r = 0; r < height; r++)
        {
            var xr = x.Slice(r * width, width);
            var yr = y.Slice(r * width, width);
            for (int i = 0; i < width; i++)
            {
                double xv = xr[i], yv = yr[i];
                line[i] = xv;
                line[width + i] = yv;
                line[2 * width + i] = xv * xv;
                line[3 * width + i] = yv * yv;
                line[4 * width + i] = xv * yv;
            }
            int slot = r % WindowSize;
            for (int k = 0; k < 5; k++)
                Filter(line, k * width, 1, ring.AsSpan((k * WindowSize + slot) * outW, outW));
            if (r < WindowSize - 1) continue;

            // Output row r − 10 needs input rows r − 10 … r, i.e. ring slots (r + 1 + k) mod 11.
            for (int k = 0; k < WindowSize; k++) slots[k] = (r + 1 + k) % WindowSize * outW;
            for (int k = 0; k < 5; k++)
                FilterColumns(ring, k * WindowSize * outW, slots, stats.AsSpan(k * outW, outW));
            sum += MapRowSum(stats, outW);
        }
        return sum / ((double)outH * outW);
    }

    /// <summary>out[j] = Σk w[k]·ring[baseOffset + slots[k] + j]: the column pass over the ring of filtered rows.</summary>
    private static void FilterColumns(double[] ring, int baseOffset, ReadOnlySpan<int> slots, Span<double> output)
    {
        var w = Window;
        int n = output.Length, j = 0;
        ref double s = ref MemoryMarshal.GetArrayDataReference(ring);
        ref double o = ref MemoryMarshal.GetReference(output);
        nuint r0 = (nuint)(baseOffset + slots[0]), r1 = (nuint)(baseOffset + slots[1]), r2 = (nuint)(baseOffset + slots[2]),
              r3 = (nuint)(baseOffset + slots[3]), r4 = (nuint)(baseOffset + slots[4]), r5 = (nuint)(baseOffset + slots[5]),
              r6 = (nuint)(baseOffset + slots[6]), r7 = (nuint)(baseOffset + slots[7]), r8 = (nuint)(baseOffset + slots[8]),
              r9 = (nuint)(baseOffset + slots[9]), r10 = (nuint)(baseOffset + slots[10]);
        if ((int)Math.Max(Math.Max(r0, r10), Math.Max(r5, r9)) + n > ring.Length) throw new ArgumentOutOfRangeException(nameof(slots));
        if (Vector.IsHardwareAccelerated)
        {
            var w0 = new Vector<double>(w[0]);
            var w1 = new Vector<double>(w[1]);
            var w2 = new Vector<double>(w[2]);
            var w3 = new Vector<double>(w[3]);
            var w4 = new Vector<double>(w[4]);
            var w5 = new Vector<double>(w[5]);
            for (; j <= n - Vector<double>.Count; j += Vector<double>.Count)
            {
                nuint p = (nuint)j;
                var acc = w5 * Vector.LoadUnsafe(ref s, r5 + p);
                acc += w4 * (Vector.LoadUnsafe(ref s, r4 + p) + Vector.LoadUnsafe(ref s, r6 + p));
                acc += w3 * (Vector.LoadUnsafe(ref s, r3 + p) + Vector.LoadUnsafe(ref s, r7 + p));
                acc += w2 * (Vector.LoadUnsafe(ref s, r2 + p) + Vector.LoadUnsafe(ref s, r8 + p));
                acc += w1 * (Vector.LoadUnsafe(ref s, r1 + p) + Vector.LoadUnsafe(ref s, r9 + p));
                acc += w0 * (Vector.LoadUnsafe(ref s, r0 + p) + Vector.LoadUnsafe(ref s, r10 + p));
                acc.StoreUnsafe(ref o, p);
            }
        }
        for (; j < n; j++)
        {
            nuint p = (nuint)j;
            double acc = w[5] * ring[r5 + p];
            acc += w[4] * (ring[r4 + p] + ring[r6 + p]);
            acc += w[3] * (ring[r3 + p] + ring[r7 + p]);
            acc += w[2] * (ring[r2 + p] + ring[r8 + p]);
            acc += w[1] * (ring[r1 + p] + ring[r9 + p]);
            acc += w[0] * (ring[r0 + p] + ring[r10 + p]);
            output[j] = acc;
        }
    }

    /// <summary>
    /// out[j] = Σk w[k]·src[start + k·step + j] for j &lt; out.Length: a 'valid' correlation along rows (step 1)
    /// or columns (step = row length). The window is symmetric, so taps k and 10−k share one multiply.
    /// </summary>
    private static void Filter(double[] src, int start, int step, Span<double> output)
    {
        var w = Window;
        int n = output.Length, j = 0;
        if (start + (WindowSize - 1) * step + n > src.Length) throw new ArgumentOutOfRangeException(nameof(src));
        ref double s = ref MemoryMarshal.GetArrayDataReference(src);
        ref double o = ref MemoryMarshal.GetReference(output);
        if (Vector.IsHardwareAccelerated)
        {
            var w0 = new Vector<double>(w[0]);
            var w1 = new Vector<double>(w[1]);
            var w2 = new Vector<double>(w[2]);
            var w3 = new Vector<double>(w[3]);
            var w4 = new Vector<double>(w[4]);
            var w5 = new Vector<double>(w[5]);
            for (; j <= n - Vector<double>.Count; j += Vector<double>.Count)
            {
                nuint p = (nuint)(start + j), d = (nuint)step;
                var acc = w5 * Vector.LoadUnsafe(ref s, p + 5 * d);
                acc += w4 * (Vector.LoadUnsafe(ref s, p + 4 * d) + Vector.LoadUnsafe(ref s, p + 6 * d));
                acc += w3 * (Vector.LoadUnsafe(ref s, p + 3 * d) + Vector.LoadUnsafe(ref s, p + 7 * d));
                acc += w2 * (Vector.LoadUnsafe(ref s, p + 2 * d) + Vector.LoadUnsafe(ref s, p + 8 * d));
                acc += w1 * (Vector.LoadUnsafe(ref s, p + d) + Vector.LoadUnsafe(ref s, p + 9 * d));
                acc += w0 * (Vector.LoadUnsafe(ref s, p) + Vector.LoadUnsafe(ref s, p + 10 * d));
                acc.StoreUnsafe(ref o, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            int p = start + j;
            double acc = w[5] * src[p + 5 * step];
            acc += w[4] * (src[p + 4 * step] + src[p + 6 * step]);
            acc += w[3] * (src[p + 3 * step] + src[p + 7 * step]);
            acc += w[2] * (src[p + 2 * step] + src[p + 8 * step]);
            acc += w[1] * (src[p + step] + src[p + 9 * step]);
            acc += w[0] * (src[p] + src[p + 10 * step]);
            output[j] = acc;
        }
    }

    /// <summary>Σ over one row of ((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)).</summary>
    private static double MapRowSum(double[] stats, int width)
    {
        ReadOnlySpan<double> all = stats;
        var mx = all[..width];
        var my = all.Slice(width, width);
        var exx = all.Slice(2 * width, width);
        var eyy = all.Slice(3 * width, width);
        var exy = all.Slice(4 * width, width);
        double sum = 0;
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var c1 = new Vector<double>(C1);
            var c2 = new Vector<double>(C2);
            var two = new Vector<double>(2.0);
            var acc = Vector<double>.Zero;
            for (; j <= width - Vector<double>.Count; j += Vector<double>.Count)
            {
                var ux = new Vector<double>(mx[j..]);
                var uy = new Vector<double>(my[j..]);
                var uxx = ux * ux;
                var uyy = uy * uy;
                var uxy = ux * uy;
                var sx = new Vector<double>(exx[j..]) - uxx;
                var sy = new Vector<double>(eyy[j..]) - uyy;
                var sxy = new Vector<double>(exy[j..]) - uxy;
                acc += (two * uxy + c1) * (two * sxy + c2) / ((uxx + uyy + c1) * (sx + sy + c2));
            }
            sum = Vector.Sum(acc);
        }
        for (; j < width; j++)
        {
            double ux = mx[j], uy = my[j];
            double uxx = ux * ux, uyy = uy * uy, uxy = ux * uy;
            double sx = exx[j] - uxx, sy = eyy[j] - uyy, sxy = exy[j] - uxy;
            sum += (2.0 * uxy + C1) * (2.0 * sxy + C2) / ((uxx + uyy + C1) * (sx + sy + C2));
        }
        return sum;
    }

    private static double[] MakeWindow()
    {
        var w = new double[WindowSize];
        double total = 0;
        for (int i = 0; i < WindowSize; i++)
        {
            double d = i - WindowSize / 2;
            total += w[i] = Math.Exp(-d * d / (2 * Sigma * Sigma));
        }
        for (int i = 0; i < WindowSize; i++) w[i] /= total;
        return w;
    }
}
