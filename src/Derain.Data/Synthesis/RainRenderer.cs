using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// Renders rain over the frames of one video, in order. Drops on the glass persist and evolve from frame to
/// frame; streaks are drawn afresh each frame under a shared, slowly swaying wind; the drops refract each new
/// frame. Wind, streaks, drops and veil draw from separate streams split off one seed, so changing, say, the drop
/// count leaves the streaks of the same seed untouched.
/// </summary>
public sealed class RainRenderer
{
    private readonly RainOptions _options;
    private readonly int _width, _height;
    private readonly Generator _windRng, _streakRng, _dropRng;
    private readonly WindState _wind;
    private readonly DropField? _drops;
    private readonly VeilField _veil;
    private readonly DropLayer _dropLayer;
    private readonly DiscBlur _blur;
    private readonly float[] _streakBeta, _veilMap, _dropAlpha;
    private readonly float[][] _dropColor;
    private readonly List<Streak> _streaks = [];
    private EnvironmentLight? _light;
    private int _frame;

    public RainRenderer(RainOptions options, int width, int height, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (width < 1 || height < 1) throw new ArgumentException($"a frame needs a positive size, not {width}×{height}");
        _options = options;
        _width = width;
        _height = height;
        var master = new Generator(seed);
        _windRng = new Generator(master.NextSeed());
        _streakRng = new Generator(master.NextSeed());
        _dropRng = new Generator(master.NextSeed());
        var veilRng = new Generator(master.NextSeed());
        _wind = new WindState(options, _windRng);
        _drops = options.DropCount > 0 ? new DropField(options, width, height) : null;
        _veil = new VeilField(options, height, veilRng);
        double scale = RainOptions.ScaleFor(height);
        _blur = new DiscBlur(options.DropBlur * scale);
        _dropLayer = new DropLayer(width, height, _blur.Radius);
        int plane = width * height;
        _streakBeta = new float[plane];
        _veilMap = new float[plane];
        _dropAlpha = new float[plane];
        _dropColor = [new float[plane], new float[plane], new float[plane]];
    }

    public int Width => _width;
    public int Height => _height;

    /// <summary>The video's base wind angle, degrees from vertical.</summary>
    public double WindDegrees => _wind.BaseDegrees;

    /// <summary>The wind angle of the last rendered frame.</summary>
    public double CurrentWindDegrees => _wind.CurrentDegrees;

    /// <summary>Frames rendered so far.</summary>
    public int FrameIndex => _frame;

    /// <summary>The drops on the glass after the last frame (for tests and inspection).</summary>
    internal IReadOnlyList<Raindrop> Drops => _drops?.Drops ?? [];

    /// <summary>Renders the next frame over <paramref name="clean"/> (RGB planes [3, H, W], kept by reference as the frame's <c>gt</c>).</summary>
    public RainFrame Render(float[] clean)
    {
        ArgumentNullException.ThrowIfNull(clean);
        if (clean.Length != 3 * _width * _height)
            throw new ArgumentException($"{clean.Length} samples are not a {_width}×{_height} RGB frame.", nameof(clean));
        if (_frame > 0)
        {
            _wind.Step(_windRng);
            _veil.Step(_wind.CurrentDegrees);
        }
        var measured = EnvironmentLight.Measure(clean, _width, _height);
        _light = _light is { } previous ? previous.SmoothedTowards(measured, 0.7f) : measured;
        var light = _light.Value;

        _streaks.Clear();
        StreakSampler.Sample(_options, _width, _height, _wind.CurrentDegrees, _streakRng, _streaks);
        StreakRasterizer.Render(_streaks, _width, _height, _streakBeta);
        _veil.Render(_veilMap, _width, _height);
        RenderDrops(clean, light);

        var frame = new RainFrame(_width, _height, clean);
        RainCompositor.Compose(
            new RainCompositor.Inputs(clean, _dropAlpha, _dropColor, _streakBeta, _veilMap,
                light.DropRadiance(_options.StreakBrightness), light.Airlight(), MaskThreshold()),
            new RainCompositor.Outputs(frame.DropsOnly, frame.Rainy, frame.DropMask, frame.StreakMap),
            _width, _height);
        _frame++;
        return frame;
    }

    /// <summary>The mask threshold as the compositor compares it: the default lands exactly on the coverage cut-off.</summary>
    private float MaskThreshold()
    {
        float t = (float)_options.DropMaskThreshold;
        return t <= RainCompositor.MinBeta * 1.001f ? RainCompositor.MinBeta : t;
    }

    private void RenderDrops(float[] clean, EnvironmentLight light)
    {
        if (_drops is null)
        {
            Array.Clear(_dropAlpha);
            foreach (var c in _dropColor) Array.Clear(c);
            return;
        }
        if (_frame == 0) _drops.Populate(_dropRng);
        else _drops.Step(_dropRng);

        double scale = RainOptions.ScaleFor(_height);
        var scene = new BlurredBackground(clean, _width, _height, Math.Max(2, (int)Math.Round(4 * scale)));
        DropRasterizer.Render(_drops.Drops, scene, _options.DropFocal * _width, light.Interior(), _dropLayer);
        _blur.Apply(_dropLayer, _dropLayer.Alpha, _dropAlpha);
        for (int c = 0; c < 3; c++) _blur.Apply(_dropLayer, _dropLayer.Color[c], _dropColor[c]);
    }
}
