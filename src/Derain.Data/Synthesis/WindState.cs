using Derain.Tensors;

namespace Derain.Data.Synthesis;

/// <summary>
/// The wind angle shared by every streak of a frame. Rain falls at terminal velocity and the wind tilts all
/// drops alike, so one angle per frame (plus small per-streak jitter) is what real footage shows; across frames
/// the angle sways as a mean-reverting (Ornstein–Uhlenbeck) walk around the video's base angle.
/// </summary>
internal sealed class WindState
{
    // Reversion per frame: a gust decays over about ten frames.
    private const double Reversion = 0.9;
    private readonly double _baseDegrees;
    private readonly double _swayDegrees;
    private double _offset;

    public WindState(RainOptions options, Generator rng)
    {
        _baseDegrees = options.WindAngle ?? (2 * rng.NextDouble() - 1) * options.WindRange;
        _swayDegrees = options.WindSway;
    }

    /// <summary>The video's base angle from vertical, degrees.</summary>
    public double BaseDegrees => _baseDegrees;

    /// <summary>This frame's angle, degrees.</summary>
    public double CurrentDegrees => _baseDegrees + _offset;

    /// <summary>Moves to the next frame.</summary>
    public void Step(Generator rng)
    {
        if (_swayDegrees > 0) _offset = Reversion * _offset + _swayDegrees * rng.NextGaussian();
    }
}
