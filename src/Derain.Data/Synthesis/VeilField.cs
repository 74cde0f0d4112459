using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// Veiling of heavy rain: the countless distant drops that no longer resolve into streaks scatter airlight into
/// the view like fog (rain accumulation; Yang et al., JORDER 2017: O = α(B + ΣS) + (1 − α)A). The opacity is
/// higher towards the top of the frame (usually farther away) and is modulated by soft "rain sheets" that drift
/// with the wind from frame to frame.
/// </summary>
internal sealed class VeilField
{
    private const int Grid = 16; // a power of two, so wrapping is a mask
    private readonly float[] _noise = new float[Grid * Grid];
    private readonly double _density, _cell;
    private double _offsetX, _offsetY;

    public VeilField(RainOptions options, int height, Generator rng)
    {
        _density = options.VeilDensity;
        _cell = height / 2.5;
        for (int i = 0; i < _noise.Length; i++) _noise[i] = (float)(2 * rng.NextDouble() - 1);
        _offsetX = rng.NextDouble() * Grid * _cell;
        _offsetY = rng.NextDouble() * Grid * _cell;
    }

    public bool Enabled => _density > 0;

    /// <summary>Drifts the sheets one frame along the wind.</summary>
    public void Step(double windDegrees)
    {
        double a = windDegrees * Math.PI / 180;
        _offsetX -= Math.Sin(a) * _cell * 0.04;
        _offsetY -= Math.Cos(a) * _cell * 0.04;
    }

    /// <summary>Fills <paramref name="veil"/> (row-major) with this frame's veiling opacity.</summary>
    public void Render(float[] veil, int width, int height)
    {
        if (!Enabled)
        {
            Array.Clear(veil);
            return;
        }
        Parallel.For(0, height, SynthesisParallel.Options, () => new float[Grid], (y, _, column) =>
        {
            float depth = 0.7f + 0.6f * (1f - y / (float)Math.Max(1, height - 1));
            float scale = (float)_density * depth;
            // The vertical interpolation is the same along a row: blend the two grid rows once, then only across.
            double v = (y + _offsetY) / _cell, fv = Math.Floor(v);
            int j0 = Wrap((long)fv), j1 = Wrap(j0 + 1L);
            float tv = Smooth((float)(v - fv));
            for (int i = 0; i < Grid; i++) column[i] = _noise[j0 * Grid + i] + tv * (_noise[j1 * Grid + i] - _noise[j0 * Grid + i]);
            var row = veil.AsSpan(y * width, width);
            double u0 = _offsetX / _cell, du = 1 / _cell;
            for (int x = 0; x < width; x++)
            {
                double u = u0 + x * du, fu = Math.Floor(u);
                int i0 = Wrap((long)fu), i1 = (i0 + 1) & (Grid - 1);
                float tu = Smooth((float)(u - fu));
                float sheet = column[i0] + tu * (column[i1] - column[i0]);
                row[x] = Math.Clamp(scale * (1f + 0.35f * sheet), 0f, 0.95f);
            }
            return column;
        }, _ => { });
    }

    private static float Smooth(float t) => t * t * (3 - 2 * t);

    /// <summary>Index on the wrapping grid (Grid is a power of two).</summary>
    private static int Wrap(long i) => (int)(i & (Grid - 1));
}
