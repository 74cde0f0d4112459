using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// The clean frames of a time-lapse set: one still scene as a fixed camera sees it over a storm, shaken slightly
/// by wind (sub-pixel to few-pixel jitter) and under slowly drifting light (clouds). Drift is a mean-reverting
/// walk of the log gain, mostly shared by the channels with a small colour component.
/// </summary>
internal sealed class TimeLapseCamera
{
    private const double Reversion = 0.8;
    private readonly float[] _scene;
    private readonly int _width, _height;
    private readonly double _jitter, _lighting;
    private readonly double[] _logGain = new double[3];

    public TimeLapseCamera(float[] scene, int width, int height, RainOptions options)
    {
        _scene = scene;
        _width = width;
        _height = height;
        _jitter = options.TimeLapseJitter * RainOptions.ScaleFor(height);
        _lighting = options.TimeLapseLighting;
    }

    /// <summary>The next clean frame (a new array; the scene itself when neither jitter nor drift is asked for).</summary>
    public float[] Next(Generator rng)
    {
        if (_jitter <= 0 && _lighting <= 0) return _scene;
        double dx = _jitter * rng.NextGaussian(), dy = _jitter * rng.NextGaussian();
        double shared = rng.NextGaussian();
        var gain = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double step = _lighting * (0.9 * shared + 0.3 * rng.NextGaussian());
            _logGain[c] = Reversion * _logGain[c] + step;
            gain[c] = (float)Math.Exp(_logGain[c]);
        }
        var frame = new float[_scene.Length];
        int plane = _width * _height;
        Parallel.For(0, _height, SynthesisParallel.Options, y =>
        {
            double sy = Math.Clamp(y - dy, 0, _height - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, _height - 1);
            float fy = (float)(sy - y0);
            for (int x = 0; x < _width; x++)
            {
                double sx = Math.Clamp(x - dx, 0, _width - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, _width - 1);
                float fx = (float)(sx - x0);
                for (int c = 0; c < 3; c++)
                {
                    var p = _scene.AsSpan(c * plane, plane);
                    float top = p[y0 * _width + x0] + fx * (p[y0 * _width + x1] - p[y0 * _width + x0]);
                    float bottom = p[y1 * _width + x0] + fx * (p[y1 * _width + x1] - p[y1 * _width + x0]);
                    frame[c * plane + y * _width + x] = Math.Clamp(gain[c] * (top + fy * (bottom - top)), 0f, 1f);
                }
            }
        });
        return frame;
    }
}
