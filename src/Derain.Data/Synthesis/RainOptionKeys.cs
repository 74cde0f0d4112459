using System.Globalization;

namespace Derain.Data.Synthesis;

/// <summary>
/// The <c>--set key=value</c> names of <see cref="RainOptions"/>, registered one by one (no reflection) so the
/// command line, the manifest and the documentation share one list.
/// </summary>
public static class RainOptionKeys
{
    /// <summary>One settable parameter.</summary>
    public sealed record Key(string Name, string Description, Func<RainOptions, string> Get, Func<RainOptions, double, RainOptions> Set, bool IsInteger = false, bool IsOptional = false);

    /// <summary>All keys, in documentation order.</summary>
    public static IReadOnlyList<Key> All { get; } =
    [
        new("streaks.density", "streaks per 10,000 px per frame (0: none)", o => F(o.StreakDensity), (o, v) => o with { StreakDensity = v }),
        new("streaks.layers", "depth layers", o => F(o.StreakLayers), (o, v) => o with { StreakLayers = (int)v }, IsInteger: true),
        new("streaks.length", "middle-depth streak length, px at 540 rows", o => F(o.StreakLength), (o, v) => o with { StreakLength = v }),
        new("streaks.width", "middle-depth streak width, px at 540 rows", o => F(o.StreakWidth), (o, v) => o with { StreakWidth = v }),
        new("streaks.opacity", "peak β of a middle-depth streak", o => F(o.StreakOpacity), (o, v) => o with { StreakOpacity = v }),
        new("streaks.brightness", "drop radiance relative to the environment light", o => F(o.StreakBrightness), (o, v) => o with { StreakBrightness = v }),
        new("wind.angle", "wind angle from vertical, degrees (default: drawn per video)", o => o.WindAngle is double a ? F(a) : "random", (o, v) => o with { WindAngle = v }, IsOptional: true),
        new("wind.range", "largest drawn wind angle, degrees", o => F(o.WindRange), (o, v) => o with { WindRange = v }),
        new("wind.jitter", "per-streak angle deviation, degrees", o => F(o.WindJitter), (o, v) => o with { WindJitter = v }),
        new("wind.sway", "frame-to-frame wind sway, degrees", o => F(o.WindSway), (o, v) => o with { WindSway = v }),
        new("drops.count", "drops on the glass at 540 rows (0: none)", o => F(o.DropCount), (o, v) => o with { DropCount = v }),
        new("drops.radius-min", "smallest drop radius, px at 540 rows", o => F(o.DropRadiusMin), (o, v) => o with { DropRadiusMin = v }),
        new("drops.radius-max", "largest fresh drop radius, px at 540 rows", o => F(o.DropRadiusMax), (o, v) => o with { DropRadiusMax = v }),
        new("drops.contact-min", "smallest contact angle, degrees", o => F(o.DropContactMin), (o, v) => o with { DropContactMin = v }),
        new("drops.contact-max", "largest contact angle, degrees", o => F(o.DropContactMax), (o, v) => o with { DropContactMax = v }),
        new("drops.blur", "defocus disc radius, px at 540 rows", o => F(o.DropBlur), (o, v) => o with { DropBlur = v }),
        new("drops.focal", "focal length / frame width", o => F(o.DropFocal), (o, v) => o with { DropFocal = v }),
        new("drops.spawn", "new drops per frame at 540 rows", o => F(o.DropSpawn), (o, v) => o with { DropSpawn = v }),
        new("drops.slide-radius", "radius from which drops slide, px at 540 rows", o => F(o.DropSlideRadius), (o, v) => o with { DropSlideRadius = v }),
        new("drops.slide-speed", "slide speed at twice the slide radius, px/frame at 540 rows", o => F(o.DropSlideSpeed), (o, v) => o with { DropSlideSpeed = v }),
        new("drops.mask-threshold", "alpha from which a pixel is in the binary drop mask", o => F(o.DropMaskThreshold), (o, v) => o with { DropMaskThreshold = v }),
        new("veil.density", "mean veiling opacity (0: none)", o => F(o.VeilDensity), (o, v) => o with { VeilDensity = v }),
        new("timelapse.jitter", "camera jitter between time-lapse frames, px at 540 rows", o => F(o.TimeLapseJitter), (o, v) => o with { TimeLapseJitter = v }),
        new("timelapse.lighting", "lighting drift between time-lapse frames (log gain sd)", o => F(o.TimeLapseLighting), (o, v) => o with { TimeLapseLighting = v }),
    ];

    /// <summary>Applies one <c>key=value</c> assignment; throws <see cref="ArgumentException"/> for unknown keys or bad values.</summary>
    public static RainOptions Apply(RainOptions options, string assignment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(assignment);
        int eq = assignment.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new SynthesisException($"'{assignment}' is not key=value.");
        string name = assignment[..eq].Trim().ToLowerInvariant();
        string text = assignment[(eq + 1)..].Trim();
        var key = All.FirstOrDefault(k => k.Name == name)
            ?? throw new SynthesisException($"Unknown key '{name}'. Known keys: {string.Join(", ", All.Select(k => k.Name))}.");
        if (key.IsOptional && text.Equals("random", StringComparison.OrdinalIgnoreCase))
            return options with { WindAngle = null };
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new SynthesisException($"{name}: '{text}' is not a number.");
        if (key.IsInteger && value != Math.Floor(value))
            throw new SynthesisException($"{name}: '{text}' is not a whole number.");
        return key.Set(options, value);
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
