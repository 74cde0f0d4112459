using System.Numerics;

namespace Derain.Data.Synthesis;

/// <summary>
/// Defocus blur with a uniform disc (the image of an out-of-focus point through a circular aperture). The disc is
/// a stack of horizontal runs, so with per-row prefix sums each output costs one subtraction per disc row,
/// vectorised along the row; only blocks near drawn drops are computed, the rest of the output is zero. Where the
/// input is zero the prefix is constant, so the output is exactly zero there, which keeps the drop-free parts of a
/// frame bit-identical to the clean frame. Float prefixes of a row of coverage (at most a few thousand) carry an
/// absolute error near 1e-4 per disc row, about 1e-6 after normalisation: far below a grey level.
/// </summary>
internal sealed class DiscBlur
{
    private readonly double _radiusValue;
    private readonly int _radius;
    private readonly int[] _halfWidths;
    private readonly float _norm;
    private float[] _prefix = [];

    public DiscBlur(double radius)
    {
        _radiusValue = radius;
        _radius = (int)Math.Floor(radius);
        _halfWidths = new int[2 * _radius + 1];
        long taps = 0;
        for (int dy = -_radius; dy <= _radius; dy++)
        {
            int w = (int)Math.Floor(Math.Sqrt(Math.Max(0, radius * radius - dy * dy)));
            _halfWidths[dy + _radius] = w;
            taps += 2 * w + 1;
        }
        _norm = 1f / taps;
    }

    /// <summary>Pixels the blur reaches; a canvas needs at least this much padding.</summary>
    public int Radius => _radius;

    public override string ToString() => $"disc blur r={_radiusValue}";

    /// <summary>Blurs one canvas-sized plane of <paramref name="layer"/> into <paramref name="output"/> (the unpadded frame).</summary>
    public void Apply(DropLayer layer, float[] canvas, float[] output)
    {
        int pad = layer.Pad, cw = layer.CanvasWidth, ch = layer.CanvasHeight, width = layer.Width, height = layer.Height;
        if (pad < _radius) throw new ArgumentException($"a canvas padded by {pad} cannot hold a disc of radius {_radius}", nameof(layer));
        int stride = cw + 1;
        if (_prefix.Length < stride * ch) _prefix = new float[stride * ch];
        var prefix = _prefix;
        var rowUsed = layer.RowUsed;
        Parallel.For(0, ch, SynthesisParallel.Options, y =>
        {
            if (!rowUsed[y]) return;
            int src = y * cw, dst = y * stride;
            float sum = 0;
            prefix[dst] = 0;
            for (int x = 0; x < cw; x++)
            {
                sum += canvas[src + x];
                prefix[dst + x + 1] = sum;
            }
        });

        int r = _radius, blocks = layer.BlockColumns, reachBlocks = (r + DropLayer.BlockWidth - 1) / DropLayer.BlockWidth;
        Parallel.For(0, height, SynthesisParallel.Options, () => (new bool[blocks], new float[cw]), (y, _, scratch) =>
        {
            var (near, acc) = scratch;
            var outRow = output.AsSpan(y * width, width);
            outRow.Clear();
            int cy = y + pad;
            // Blocks with drops in any row the disc spans, widened by the disc's horizontal reach.
            Array.Clear(near);
            bool any = false;
            for (int dy = -r; dy <= r; dy++)
            {
                if (!rowUsed[cy + dy]) continue;
                int row = (cy + dy) * blocks;
                for (int b = 0; b < blocks; b++)
                {
                    if (!layer.BlockUsed[row + b]) continue;
                    any = true;
                    for (int k = Math.Max(0, b - reachBlocks); k <= Math.Min(blocks - 1, b + reachBlocks); k++) near[k] = true;
                }
            }
            if (!any) return scratch;
            for (int b = 0; b < blocks;)
            {
                if (!near[b]) { b++; continue; }
                int e = b;
                while (e < blocks && near[e]) e++;
                int c0 = Math.Max(pad, b * DropLayer.BlockWidth), c1 = Math.Min(pad + width, e * DropLayer.BlockWidth);
                if (c0 < c1) BlurSpan(prefix, stride, rowUsed, cy, c0, c1, acc, outRow, pad);
                b = e;
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>Outputs for canvas columns [c0, c1) of canvas row <paramref name="cy"/>.</summary>
    private void BlurSpan(float[] prefix, int stride, bool[] rowUsed, int cy, int c0, int c1, float[] acc, Span<float> outRow, int pad)
    {
        int r = _radius;
        var sums = acc.AsSpan(c0, c1 - c0);
        sums.Clear();
        for (int dy = -r; dy <= r; dy++)
        {
            if (!rowUsed[cy + dy]) continue;
            int w = _halfWidths[dy + r], row = (cy + dy) * stride;
            var right = prefix.AsSpan(row + c0 + w + 1, c1 - c0);
            var left = prefix.AsSpan(row + c0 - w, c1 - c0);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                int n = Vector<float>.Count;
                for (; i <= sums.Length - n; i += n)
                    (new Vector<float>(sums[i..]) + (new Vector<float>(right[i..]) - new Vector<float>(left[i..]))).CopyTo(sums[i..]);
            }
            for (; i < sums.Length; i++) sums[i] += right[i] - left[i];
        }
        for (int i = 0; i < sums.Length; i++) outRow[c0 - pad + i] = sums[i] * _norm;
    }
}
