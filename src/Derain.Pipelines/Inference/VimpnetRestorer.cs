using Derain.Data.Imaging;
using Derain.Models.Vimpnet;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Pipelines.Inference;

/// <summary>
/// Runs ViMP-Net over a video as the official <c>DrainNet.test_video</c> / <c>test_clip</c> do
/// (mmedit/models/derainers/DrainNet.py), streaming:
/// <list type="bullet">
/// <item>Temporal windows of 5 frames with stride 1 (the official tile 5, overlap 4): windows start at 0 … N − 5, and
/// each frame's outputs are the plain average over the windows that contain it.</item>
/// <item>Spatial tiles of 256 × 256 with overlap 32: tile starts every 224 px from 0, the last one flush with the
/// frame's end; each tile's outputs lose the 16 px (overlap / 2) along every edge it shares with a neighbour, and
/// every pixel is the average of the tiles that keep it (one tile, except where the last, flush tile overlaps its
/// neighbour by more than 32 px).</item>
/// <item>All four outputs (final, stage 1, raindrop mask, streak map) are averaged the same way; the official code
/// averages what the generator returns.</item>
/// </list>
/// Deliberate departures: a frame smaller than 256 in either direction is padded at the bottom and right by repeating
/// its last row and column (the official code would run the network on the smaller frame, which ViMP-Net's ¼-scale
/// flow network does not support) and the outputs are cropped back; a clip of 2–4 frames is one window of all its
/// frames, as the official code does; a single frame is refused (ViMP-Net needs at least two frames for its flows).
/// The official code averages each window's tiles before averaging the windows; here the weighted sums of both are
/// accumulated and divided once (the same weights, so only the float summation order differs).
/// Memory is bounded independently of the video's length: at most 5 frames are open (input and accumulators), and
/// each tile runs in its own tensor scope.
/// </summary>
public sealed class VimpnetRestorer : IFrameRestorer
{
    /// <summary>Frames per temporal window (the official tile[0]).</summary>
    public const int WindowFrames = 5;

    /// <summary>Spatial tile size (the official tile[1], tile[2]).</summary>
    public const int TileSize = 256;

    /// <summary>Spatial overlap between tiles (the official tile_overlap[1], tile_overlap[2]).</summary>
    public const int TileOverlap = 32;

    /// <summary>The fewest frames ViMP-Net can restore (its flows need a neighbour).</summary>
    public const int MinFrames = 2;

    private readonly Func<Tensor, VimpnetForward> _forward;
    private readonly int _window, _tile, _overlap;
    private Geometry? _geometry;

    /// <param name="net">The network; switched to evaluation mode.</param>
    /// <param name="keepMaps">Also keep stage 1, the raindrop mask and the streak map (<c>--save-masks</c>).</param>
    public VimpnetRestorer(VimpnetNet net, bool keepMaps = false)
        : this(Evaluating(net).Forward, keepMaps, WindowFrames, TileSize, TileOverlap)
    {
    }

    /// <summary>The windowing and tiling around any forward with ViMP-Net's outputs (tests use small sizes).</summary>
    internal VimpnetRestorer(Func<Tensor, VimpnetForward> forward, bool keepMaps, int window, int tile, int overlap)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (window < MinFrames || tile < 1 || overlap < 0 || overlap >= tile)
            throw new ArgumentException($"window {window}, tile {tile}, overlap {overlap}: need window ≥ {MinFrames} and 0 ≤ overlap < tile.");
        (_forward, KeepMaps, _window, _tile, _overlap) = (forward, keepMaps, window, tile, overlap);
    }

    /// <summary>True when stage 1, the raindrop mask and the streak map are kept with each frame.</summary>
    public bool KeepMaps { get; }

    /// <inheritdoc/>
    public string ModelName => "ViMP-Net";

    /// <summary>True: each output depends on the frames around it.</summary>
    public bool NeedsNeighbours => true;

    /// <inheritdoc/>
    public IEnumerable<IRestoredFrame> RestoreAll(IEnumerable<NamedImage> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        _geometry = null;
        var open = new List<OpenFrame>(_window);
        bool ranWindow = false;
        foreach (var frame in frames)
        {
            open.Add(Open(frame));
            if (open.Count < _window) continue;
            // Window [s, s + 5) done: frame s is in no later window, so it is final.
            RunWindow(open);
            ranWindow = true;
            yield return open[0].Finish(_geometry!);
            open.RemoveAt(0);
        }
        if (!ranWindow && open.Count > 0)
        {
            if (open.Count < MinFrames)
                throw new InferenceException($"the input has only {open.Count} frame; ViMP-Net restores video clips and needs at least {MinFrames} frames ({_window} or more for its full temporal window)");
            RunWindow(open);
        }
        foreach (var frame in open) yield return frame.Finish(_geometry!);
    }

    private OpenFrame Open(NamedImage frame)
    {
        var rgb = frame.Image.Channels == 3 ? frame.Image : frame.Image.ToRgb();
        _geometry ??= new Geometry(rgb.Width, rgb.Height, _tile, _overlap);
        var g = _geometry;
        if (rgb.Width != g.Width || rgb.Height != g.Height)
            throw new InferenceException($"frame {frame.Name} is {rgb.Width}×{rgb.Height} but the first frame is {g.Width}×{g.Height}; every frame of a clip must have the same size");
        return new OpenFrame(frame.Name, Padded(rgb, g), g.Pixels, KeepMaps);
    }

    /// <summary>Runs every tile of the clip <paramref name="clip"/> and adds the kept parts of its outputs into the frames' accumulators.</summary>
    private void RunWindow(List<OpenFrame> clip)
    {
        var g = _geometry!;
        int t = clip.Count, tile = _tile, tn = tile * tile;
        foreach (int y0 in g.Ys)
            foreach (int x0 in g.Xs)
            {
                var input = new float[t * 3 * tn];
                for (int f = 0; f < t; f++)
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < tile; y++)
                            clip[f].Input.AsSpan(c * g.Pixels + (y0 + y) * g.PaddedWidth + x0, tile).CopyTo(input.AsSpan((f * 3 + c) * tn + y * tile, tile));
                var (ky0, ky1) = g.KeptRange(g.Ys, y0);
                var (kx0, kx1) = g.KeptRange(g.Xs, x0);
                using (GradMode.NoGrad())
                using (TensorScope.Begin())
                {
                    var result = _forward(Tensor.Wrap(input, 1, t, 3, tile, tile));
                    Add(result.Output.ToArray(), 3, clip, f => f.Output);
                    if (KeepMaps)
                    {
                        Add(result.Stage1.ToArray(), 3, clip, f => f.Stage1!);
                        Add(result.DropMask.ToArray(), 1, clip, f => f.DropMask!);
                        Add(result.StreakMap.ToArray(), 1, clip, f => f.StreakMap!);
                    }
                }

                void Add(float[] output, int channels, List<OpenFrame> frames, Func<OpenFrame, float[]> target)
                {
                    if (output.Length != t * channels * tn)
                        throw new InvalidOperationException($"ViMP-Net returned {output.Length} values for a {t}×{channels}×{tile}×{tile} output.");
                    for (int f = 0; f < t; f++)
                    {
                        var sum = target(frames[f]);
                        for (int c = 0; c < channels; c++)
                            for (int y = ky0; y < ky1; y++)
                            {
                                var src = output.AsSpan((f * channels + c) * tn + y * tile + kx0, kx1 - kx0);
                                var dst = sum.AsSpan(c * g.Pixels + (y0 + y) * g.PaddedWidth + x0 + kx0, kx1 - kx0);
                                for (int i = 0; i < src.Length; i++) dst[i] += src[i];
                            }
                    }
                }
            }
        foreach (var frame in clip) frame.Windows++;
    }

    /// <summary>RGB planes on [0, 1], padded to the geometry's size by repeating the last row and column.</summary>
    private static float[] Padded(Image rgb, Geometry g)
    {
        int w = rgb.Width, h = rgb.Height;
        var result = new float[3 * g.Pixels];
        for (int c = 0; c < 3; c++)
        {
            var plane = rgb.Plane(c);
            for (int y = 0; y < g.PaddedHeight; y++)
            {
                int sy = Math.Min(y, h - 1);
                for (int x = 0; x < g.PaddedWidth; x++)
                    result[c * g.Pixels + y * g.PaddedWidth + x] = plane[sy * w + Math.Min(x, w - 1)];
            }
        }
        return result;
    }

    private static VimpnetNet Evaluating(VimpnetNet net)
    {
        ArgumentNullException.ThrowIfNull(net);
        net.Eval();
        return net;
    }

    /// <summary>Tile positions and the per-pixel count of tiles that keep it, shared by every frame of a video.</summary>
    internal sealed class Geometry
    {
        public Geometry(int width, int height, int tile, int overlap)
        {
            (Width, Height, Tile, Overlap) = (width, height, tile, overlap);
            PaddedWidth = Math.Max(width, tile);
            PaddedHeight = Math.Max(height, tile);
            Xs = Positions(PaddedWidth, tile, overlap);
            Ys = Positions(PaddedHeight, tile, overlap);
            Count = new float[Pixels];
            foreach (int y0 in Ys)
                foreach (int x0 in Xs)
                {
                    var (ky0, ky1) = KeptRange(Ys, y0);
                    var (kx0, kx1) = KeptRange(Xs, x0);
                    for (int y = ky0; y < ky1; y++)
                        for (int x = kx0; x < kx1; x++) Count[(y0 + y) * PaddedWidth + x0 + x]++;
                }
        }

        public int Width { get; }

        public int Height { get; }

        public int PaddedWidth { get; }

        public int PaddedHeight { get; }

        public int Tile { get; }

        public int Overlap { get; }

        public int Pixels => PaddedWidth * PaddedHeight;

        public IReadOnlyList<int> Xs { get; }

        public IReadOnlyList<int> Ys { get; }

        /// <summary>How many tiles keep each padded pixel (at least 1).</summary>
        public float[] Count { get; }

        /// <summary>
        /// test_clip's starts along an axis: list(range(0, length − tile, tile − overlap)) + [max(0, length − tile)].
        /// </summary>
        internal static IReadOnlyList<int> Positions(int length, int tile, int overlap)
        {
            var result = new List<int>();
            for (int p = 0; p < length - tile; p += tile - overlap) result.Add(p);
            result.Add(Math.Max(0, length - tile));
            return result;
        }

        /// <summary>The tile-local range a tile keeps: overlap / 2 is dropped at each edge facing another tile (not_overlap_border).</summary>
        public (int Start, int End) KeptRange(IReadOnlyList<int> starts, int start)
            => (start > starts[0] ? Overlap / 2 : 0, Tile - (start < starts[^1] ? Overlap / 2 : 0));
    }

    /// <summary>A frame whose windows are not all done: its padded input and the running sums of its outputs.</summary>
    private sealed class OpenFrame(string name, float[] input, int pixels, bool keepMaps)
    {
        public string Name { get; } = name;

        public float[] Input { get; } = input;

        public float[] Output { get; } = new float[3 * pixels];

        public float[]? Stage1 { get; } = keepMaps ? new float[3 * pixels] : null;

        public float[]? DropMask { get; } = keepMaps ? new float[pixels] : null;

        public float[]? StreakMap { get; } = keepMaps ? new float[pixels] : null;

        public int Windows { get; set; }

        /// <summary>The averages, cropped to the frame's size.</summary>
        public VimpnetRestoredFrame Finish(Geometry g) => new(Name, g.Width, g.Height, Average(Output, 3, g),
            Stage1 is null ? null : Average(Stage1, 3, g), DropMask is null ? null : Average(DropMask, 1, g), StreakMap is null ? null : Average(StreakMap, 1, g));

        private float[] Average(float[] sum, int channels, Geometry g)
        {
            int n = g.Width * g.Height;
            var result = new float[channels * n];
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < g.Height; y++)
                    for (int x = 0; x < g.Width; x++)
                    {
                        int src = y * g.PaddedWidth + x;
                        result[c * n + y * g.Width + x] = sum[c * g.Pixels + src] / (g.Count[src] * Windows);
                    }
            return result;
        }
    }
}
