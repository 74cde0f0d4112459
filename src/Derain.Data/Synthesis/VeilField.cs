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
    private const int Grid = 16;
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
        Parallel.For(0, height, y =>
        {
            float depth = 0.7f + 0.6f * (1f - y / (float)Math.Max(1, height - 1));
            var row = veil.AsSpan(y * width, width);
            for (int x = 0; x < width; x++)
            {
                float sheet = Noise((x + _offsetX) / _cell, (y + _offsetY) / _cell);
                row[x] = Math.Clamp((float)_density * depth * (1f + 0.35f * sheet), 0f, 0.95f);
            }
        });
    }

    /// <summary>Smooth value noise in [−1, 1] on a wrapping grid (smoothstep interpolation).</summary>
    private float Noise(double u, double v)
    {
        double fu = Math.Floor(u), fv = Math.Floor(v);
        int i0 = Wrap((long)fu), j0 = Wrap((long)fv), i1 = Wrap(i0 + 1), j1 = Wrap(j0 + 1);
        float tu = (float)(u - fu), tv = (float)(v - fv);
        tu = tu * tu * (3 - 2 * tu);
        tv = tv * tv * (3 - 2 * tv);
        float a = _noise[j0 * Grid + i0] + tu * (_noise[j0 * Grid + i1] - _noise[j0 * Grid + i0]);
        float b = _noise[j1 * Grid + i0] + tu * (_noise[j1 * Grid + i1] - _noise[j1 * Grid + i0]);
        return a + tv * (b - a);
    }

    private static int Wrap(long i) => (int)(((i % Grid) + Grid) % Grid);
}
