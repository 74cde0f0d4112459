using Derain.Data.Imaging;
using Derain.Models.Mgid;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Runs MGID (test branch, stored memory, BatchNorm in evaluation mode) on one image at a time.
/// <list type="bullet">
/// <item>Input: RGB reordered to BGR and scaled as the official loader does, x = v / 127.5 − 1 in float32 on the 8-bit
/// value (16-bit inputs keep their extra precision: v·255 is used unrounded when it is not an integer).</item>
/// <item>Sizes that are not multiples of 8 are padded at the bottom and right by repeating the last row and column
/// (replicate), and the outputs are cropped back.</item>
/// <item>With a tile size, the padded image is cut into tiles of that size (multiples of 8) that overlap by the given
/// margin; each runs on its own, so memory is bounded by one tile's activations plus the full-size outputs. Outputs
/// are blended with weights that ramp linearly across each shared margin, (i + 1) / (overlap + 1) from the inner
/// edges, and stay 1 at the image borders, so there is no seam. The bottleneck's InstanceNorm must see the whole
/// image's statistics, not a tile's: a first pass runs the encoder on every tile and gathers the whole bottleneck's
/// per-channel mean and variance, the second pass normalises every tile with them. What remains is the receptive field
/// cut at tile edges (docs/mgid.md gives the measured bound).</item>
/// </list>
/// </summary>
public sealed class MgidRestorer : IFrameRestorer
{
    private readonly MgidNet _net;

    /// <param name="net">The network; switched to evaluation mode.</param>
    /// <param name="tile">Tile size in pixels (a multiple of 8, at least 8), 0 for whole images, or <see cref="AutoTile"/>:
    /// whole images up to <see cref="AutoWholeImagePixels"/> (padded), tiles of <see cref="AutoTileSize"/> overlapping by
    /// <see cref="AutoTileOverlap"/> above.</param>
    /// <param name="tileOverlap">Overlap between neighbouring tiles (0 ≤ overlap &lt; tile).</param>
    public MgidRestorer(MgidNet net, int tile = 0, int tileOverlap = 0)
    {
        ArgumentNullException.ThrowIfNull(net);
        if ((tile < 0 && tile != AutoTile) || (tile > 0 && tile % MgidNet.SizeMultiple != 0))
            throw new InferenceException($"--tile {tile}: MGID tiles must be a positive multiple of {MgidNet.SizeMultiple} pixels (e.g. 256), or 0 for whole images");
        if (tileOverlap < 0 || (tile > 0 && tileOverlap >= tile))
            throw new InferenceException($"--tile-overlap {tileOverlap}: the overlap must be at least 0 and smaller than the tile ({tile})");
        if (tile <= 0 && tileOverlap != 0)
            throw new InferenceException("--tile-overlap needs --tile: give a tile size too");
        net.Eval();
        _net = net;
        Tile = tile;
        TileOverlap = tileOverlap;
    }

    /// <summary><c>tile</c> value that picks whole images or tiles by image size (what <c>derain run</c> does without <c>--tile</c>).</summary>
    public const int AutoTile = -1;

    /// <summary>
    /// Largest padded image <see cref="AutoTile"/> restores whole: 1024 × 1024. An untiled forward holds about 3.4 GB
    /// per megapixel (measured: 3.44 GB peak resident for 1024², 7.23 GB for 2048 × 1024), so a 10-megapixel photo
    /// untiled would need some 35 GB and be killed by the kernel on a 24 GB machine.
    /// </summary>
    public const long AutoWholeImagePixels = 1024 * 1024;

    /// <summary>Tile size <see cref="AutoTile"/> uses above <see cref="AutoWholeImagePixels"/>: bounds the forward at about 3.5 GB.</summary>
    public const int AutoTileSize = 1024;

    /// <summary>Blend overlap <see cref="AutoTile"/> uses between its tiles (the encoder statistics pass overlaps more on its own).</summary>
    public const int AutoTileOverlap = 96;

    public int Tile { get; }

    public int TileOverlap { get; }

    /// <inheritdoc/>
    public string ModelName => "MGID";

    /// <summary>False: each image is restored on its own.</summary>
    public bool NeedsNeighbours => false;

    /// <inheritdoc/>
    public IEnumerable<IRestoredFrame> RestoreAll(IEnumerable<NamedImage> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        foreach (var f in frames) yield return Restore(f.Image, f.Name);
    }

    /// <summary>Restores one image.</summary>
    public RgbRestoredFrame Restore(Image image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgb = image.Channels == 3 ? image : image.ToRgb();
        int w = rgb.Width, h = rgb.Height;
        int pw = RoundUp(w), ph = RoundUp(h);
        var bgr = PaddedBgr(rgb, pw, ph);
        int n = pw * ph;
        var derained = new float[3 * n];
        var streak = new float[3 * n];
        var (tile, overlap) = TilingFor(pw, ph);
        if (tile == 0 || (pw <= tile && ph <= tile))
        {
            RunTile(bgr, pw, ph, 0, 0, pw, ph, derained, streak, null, null, null);
        }
        else
        {
            int tw = Math.Min(tile, pw), th = Math.Min(tile, ph);
            var weightSum = new float[n];
            var xs = Positions(pw, tw, overlap);
            var ys = Positions(ph, th, overlap);
            var statistics = WholeImageQueryStatistics(bgr, pw, ph, tw, th, overlap);
            foreach (int y0 in ys)
                foreach (int x0 in xs)
                {
                    var wx = Ramp(x0, tw, pw, overlap);
                    var wy = Ramp(y0, th, ph, overlap);
                    RunTile(bgr, pw, ph, x0, y0, tw, th, derained, streak, (wx, wy), weightSum, statistics);
                }
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < n; i++)
                {
                    derained[c * n + i] /= weightSum[i];
                    streak[c * n + i] /= weightSum[i];
                }
        }
        return ToFrame(name, w, h, pw, derained, streak);
    }

    /// <summary>The tile size (0: whole) and overlap used for a padded <paramref name="pw"/> × <paramref name="ph"/> image.</summary>
    internal (int Tile, int Overlap) TilingFor(int pw, int ph) =>
        Tile != AutoTile ? (Tile, TileOverlap)
        : (long)pw * ph > AutoWholeImagePixels ? (AutoTileSize, AutoTileOverlap)
        : (0, 0);

    /// <summary>Runs the network on the tile at (x0, y0) and adds its outputs (times the blend weights, when given) into the accumulators.</summary>
    private void RunTile(float[] bgr, int pw, int ph, int x0, int y0, int tw, int th, float[] derained, float[] streak,
        (float[] X, float[] Y)? weights, float[]? weightSum, (float[] Mean, float[] Variance)? statistics)
    {
        int n = pw * ph, tn = tw * th;
        var input = TileInput(bgr, pw, ph, x0, y0, tw, th);
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
        {
            var stats = statistics is { } st ? (Tensor.FromArray(st.Mean, MgidNet.FeatureDim), Tensor.FromArray(st.Variance, MgidNet.FeatureDim)) : ((Tensor, Tensor)?)null;
            var result = _net.Forward(Tensor.Wrap(input, 1, 3, th, tw), _net.MemoryItems.Data, train: false, stats);
            var d = result.Derained.Span<float>();
            var s = result.Streak.Span<float>();
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < th; y++)
                    for (int x = 0; x < tw; x++)
                    {
                        int src = c * tn + y * tw + x, dst = c * n + (y0 + y) * pw + x0 + x;
                        float weight = weights is { } wt ? wt.X[x] * wt.Y[y] : 1f;
                        derained[dst] += weight * d[src];
                        streak[dst] += weight * s[src];
                        if (c == 0 && weightSum is not null) weightSum[dst - c * n] += weight;
                    }
        }
    }

    private static float[] TileInput(float[] bgr, int pw, int ph, int x0, int y0, int tw, int th)
    {
        int n = pw * ph, tn = tw * th;
        var input = new float[3 * tn];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < th; y++)
                bgr.AsSpan(c * n + (y0 + y) * pw + x0, tw).CopyTo(input.AsSpan(c * tn + y * tw, tw));
        return input;
    }

    /// <summary>
    /// Context each side that a bottleneck cell's value depends on: the encoder's receptive field (three conv pairs
    /// and pools, then the bottleneck's two convolutions at 1/8: 68 px, i.e. ±34 around the cell's 8 × 8 block)
    /// rounded up to the 8-px grid with a margin. A cell at least this far inside a tile's inner edges is computed
    /// from the tile exactly as from the whole image.
    /// </summary>
    internal const int EncoderContext = 40;

    /// <summary>
    /// The per-channel mean and biased variance InstanceNorm2d would take over the whole image's bottleneck, gathered
    /// tile by tile (encoder only). The tiles of this pass overlap by at least 2 × <see cref="EncoderContext"/>
    /// whatever the user's overlap, and each bottleneck cell is taken from the tile whose inner edges are farthest from
    /// it, so every cell equals the whole image's and the statistics are exact (up to summation order). Holds only
    /// the H/8 × W/8 × 64 map.
    /// </summary>
    private (float[] Mean, float[] Variance) WholeImageQueryStatistics(float[] bgr, int pw, int ph, int tw, int th, int tileOverlap)
    {
        const int s = MgidNet.SizeMultiple, f = MgidNet.FeatureDim;
        int bw = pw / s, bh = ph / s, cells = bw * bh;
        int overlap = Math.Max(tileOverlap, 2 * EncoderContext);
        var xs = Positions(pw, tw, Math.Min(overlap, tw - s));
        var ys = Positions(ph, th, Math.Min(overlap, th - s));
        var map = new float[f * cells];
        var depth = new int[cells];
        Array.Fill(depth, -1);
        foreach (int y0 in ys)
            foreach (int x0 in xs)
                using (GradMode.NoGrad())
                using (TensorScope.Begin())
                {
                    var x4 = _net.EncodeBottleneck(Tensor.Wrap(TileInput(bgr, pw, ph, x0, y0, tw, th), 1, 3, th, tw)).Span<float>();
                    int tbw = tw / s, tbh = th / s;
                    for (int by = 0; by < tbh; by++)
                        for (int bx = 0; bx < tbw; bx++)
                        {
                            // Distance in cells to the tile's inner edges; an edge on the image border cuts nothing.
                            int inside = Math.Min(
                                Math.Min(x0 == 0 ? int.MaxValue : bx, x0 + tw == pw ? int.MaxValue : tbw - 1 - bx),
                                Math.Min(y0 == 0 ? int.MaxValue : by, y0 + th == ph ? int.MaxValue : tbh - 1 - by));
                            int cell = (y0 / s + by) * bw + x0 / s + bx;
                            if (inside <= depth[cell]) continue;
                            depth[cell] = inside;
                            for (int c = 0; c < f; c++) map[c * cells + cell] = x4[c * tbw * tbh + by * tbw + bx];
                        }
                }
        var mean = new float[f];
        var variance = new float[f];
        for (int c = 0; c < f; c++)
        {
            var channel = map.AsSpan(c * cells, cells);
            double m = 0, v = 0;
            foreach (float value in channel) m += value;
            m /= cells;
            foreach (float value in channel) v += (value - m) * (value - m);
            mean[c] = (float)m;
            variance[c] = (float)(v / cells);
        }
        return (mean, variance);
    }

    /// <summary>
    /// Tile starts along an axis: every stride = size − overlap (rounded down to a multiple of 8, so that tiles share the
    /// bottleneck grid) from 0, the last one flush with the end.
    /// </summary>
    internal static List<int> Positions(int length, int size, int overlap)
    {
        var result = new List<int>();
        if (length <= size) return [0];
        int stride = Math.Max(MgidNet.SizeMultiple, (size - overlap) / MgidNet.SizeMultiple * MgidNet.SizeMultiple);
        for (int p = 0; p + size < length; p += stride) result.Add(p);
        result.Add(length - size);
        return result;
    }

    /// <summary>Blend weights across one tile: a linear ramp over the overlap at each edge shared with another tile, 1 at the image border.</summary>
    internal static float[] Ramp(int start, int size, int length, int overlap)
    {
        var w = new float[size];
        for (int i = 0; i < size; i++)
        {
            float v = 1f;
            if (start > 0) v = Math.Min(v, (i + 1f) / (overlap + 1f));
            if (start + size < length) v = Math.Min(v, (size - i) / (overlap + 1f));
            w[i] = v;
        }
        return w;
    }

    /// <summary>RGB [0, 1] planes → BGR on [−1, 1], padded to pw×ph by replicating the last row and column.</summary>
    private static float[] PaddedBgr(Image rgb, int pw, int ph)
    {
        int w = rgb.Width, h = rgb.Height, n = pw * ph;
        var result = new float[3 * n];
        for (int c = 0; c < 3; c++)
        {
            var plane = rgb.Plane(2 - c);
            for (int y = 0; y < ph; y++)
            {
                int sy = Math.Min(y, h - 1);
                for (int x = 0; x < pw; x++)
                    result[c * n + y * pw + x] = Scale(plane[sy * w + Math.Min(x, w - 1)]);
            }
        }
        return result;
    }

    /// <summary>model/utils.py: (float32) v8 / 127.5 − 1 on the 8-bit value; a 16-bit sample keeps its fraction.</summary>
    private static float Scale(float unit)
    {
        float s = unit * 255f;
        float r = MathF.Round(s);
        return (MathF.Abs(s - r) < 1e-3f ? r : s) / 127.5f - 1f;
    }

    /// <summary>Crops the padded BGR [−1, 1] outputs and maps them to RGB [0, 1]: (d + 1) / 2 and s / 2.</summary>
    private static RgbRestoredFrame ToFrame(string name, int w, int h, int pw, float[] derained, float[] streak)
    {
        int n = w * h, pn = pw * RoundUp(h);
        var d = new float[3 * n];
        var s = new float[3 * n];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int src = (2 - c) * pn + y * pw + x, dst = c * n + y * w + x;
                    d[dst] = (derained[src] + 1f) / 2f;
                    s[dst] = streak[src] / 2f;
                }
        return new RgbRestoredFrame(name, w, h, d, s);
    }

    private static int RoundUp(int size) => (size + MgidNet.SizeMultiple - 1) / MgidNet.SizeMultiple * MgidNet.SizeMultiple;
}
