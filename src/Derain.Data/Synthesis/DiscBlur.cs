namespace Derain.Data.Synthesis;

/// <summary>
/// Defocus blur with a uniform disc (the image of an out-of-focus point through a circular aperture). The disc is
/// a stack of horizontal runs, so with per-row prefix sums each output costs one subtraction per disc row. Sums
/// are double: where the input is zero the prefix is constant and the output is exactly zero, which keeps the
/// drop-free parts of a frame bit-identical to the clean frame.
/// </summary>
internal sealed class DiscBlur
{
    private readonly int _radius;
    private readonly int[] _halfWidths;
    private readonly double _norm;
    private double[] _prefix = [];

    public DiscBlur(double radius)
    {
        _radius = (int)Math.Floor(radius);
        _halfWidths = new int[2 * _radius + 1];
        long taps = 0;
        for (int dy = -_radius; dy <= _radius; dy++)
        {
            int w = (int)Math.Floor(Math.Sqrt(Math.Max(0, radius * radius - dy * dy)));
            _halfWidths[dy + _radius] = w;
            taps += 2 * w + 1;
        }
        _norm = 1.0 / taps;
    }

    /// <summary>Pixels the blur reaches; a canvas needs at least this much padding.</summary>
    public int Radius => _radius;

    /// <summary>
    /// Blurs <paramref name="canvas"/> (canvas-sized, padded by <paramref name="pad"/> ≥ <see cref="Radius"/>) into
    /// <paramref name="output"/> (the unpadded frame). Rows not flagged in <paramref name="rowUsed"/> are taken as zero.
    /// </summary>
    public void Apply(float[] canvas, int canvasWidth, int canvasHeight, int pad, bool[] rowUsed, float[] output, int width, int height)
    {
        if (pad < _radius) throw new ArgumentException($"a canvas padded by {pad} cannot hold a disc of radius {_radius}", nameof(pad));
        int stride = canvasWidth + 1;
        if (_prefix.Length < stride * canvasHeight) _prefix = new double[stride * canvasHeight];
        var prefix = _prefix;
        Parallel.For(0, canvasHeight, y =>
        {
            if (!rowUsed[y]) return;
            int src = y * canvasWidth, dst = y * stride;
            double sum = 0;
            prefix[dst] = 0;
            for (int x = 0; x < canvasWidth; x++)
            {
                sum += canvas[src + x];
                prefix[dst + x + 1] = sum;
            }
        });

        int r = _radius;
        Parallel.For(0, height, y =>
        {
            var outRow = output.AsSpan(y * width, width);
            int cy = y + pad;
            bool any = false;
            for (int dy = -r; dy <= r && !any; dy++) any = rowUsed[cy + dy];
            if (!any)
            {
                outRow.Clear();
                return;
            }
            for (int x = 0; x < width; x++)
            {
                int cx = x + pad;
                double sum = 0;
                for (int dy = -r; dy <= r; dy++)
                {
                    if (!rowUsed[cy + dy]) continue;
                    int w = _halfWidths[dy + r], row = (cy + dy) * stride;
                    sum += prefix[row + cx + w + 1] - prefix[row + cx - w];
                }
                outRow[x] = (float)(sum * _norm);
            }
        });
    }
}
