namespace Derain.Data.Synthesis;

/// <summary>
/// Every parameter of the rain renderer, as one flat record so a preset is a table row and a user override is
/// one <c>with</c> expression (<see cref="RainOptionKeys"/> maps <c>--set key=value</c> names onto it).
/// Lengths and radii are in pixels of a 540-row frame and scale with the frame height, so a preset looks the
/// same on 320×240 and 1280×720 footage.
/// </summary>
public sealed record RainOptions
{
    /// <summary>Frame height the pixel sizes below are given for.</summary>
    public const double ReferenceHeight = 540;

    // ---- Streaks (Garg & Nayar 2007: motion-blurred drops, β = τ/T) ----

    /// <summary>Streaks per 10,000 pixels per frame, all depth layers together; 0 disables streaks.</summary>
    public double StreakDensity { get; init; }

    /// <summary>Depth layers, near (long, wide, sparse) to far (short, thin, dense).</summary>
    public int StreakLayers { get; init; } = 3;

    /// <summary>Length of a middle-depth streak (exposure × fall speed, projected), pixels at 540 rows.</summary>
    public double StreakLength { get; init; } = 30;

    /// <summary>Width (full width at half maximum) of a middle-depth streak, pixels at 540 rows.</summary>
    public double StreakWidth { get; init; } = 1.5;

    /// <summary>
    /// Peak β of a middle-depth streak: the fraction of the exposure a drop covers a pixel on its path, which
    /// Garg &amp; Nayar show is small (a drop crosses a pixel in about a millisecond), so streaks are semi-transparent.
    /// </summary>
    public double StreakOpacity { get; init; } = 0.25;

    /// <summary>Drop radiance relative to the scene's environment light (sky-weighted mean colour).</summary>
    public double StreakBrightness { get; init; } = 1.2;

    // ---- Wind ----

    /// <summary>Wind angle from vertical in degrees (positive: falling to the right); null draws one per video from ±<see cref="WindRange"/>.</summary>
    public double? WindAngle { get; init; }

    /// <summary>Largest wind angle drawn when <see cref="WindAngle"/> is not set, degrees.</summary>
    public double WindRange { get; init; } = 15;

    /// <summary>Standard deviation of each streak's angle about the wind angle, degrees.</summary>
    public double WindJitter { get; init; } = 2;

    /// <summary>Frame-to-frame sway of the wind angle (Ornstein–Uhlenbeck step), degrees; 0 keeps it fixed.</summary>
    public double WindSway { get; init; }

    // ---- Raindrops on the glass (Halimeh & Roser 2009; Roser & Geiger 2009; Qian et al. 2018) ----

    /// <summary>Drops on the glass at the start of a video (and the level new drops keep it near), at 540 rows; 0 disables drops.</summary>
    public double DropCount { get; init; }

    /// <summary>Smallest footprint radius, pixels at 540 rows (raised to the defocus radius so every drop is labelled).</summary>
    public double DropRadiusMin { get; init; } = 9;

    /// <summary>Largest footprint radius of a fresh drop, pixels at 540 rows (merged drops grow beyond it).</summary>
    public double DropRadiusMax { get; init; } = 18;

    /// <summary>Smallest contact angle τ of the spherical cap, degrees.</summary>
    public double DropContactMin { get; init; } = 25;

    /// <summary>Largest contact angle τ, degrees; above 48.6° the rim totally reflects and shows dark.</summary>
    public double DropContactMax { get; init; } = 60;

    /// <summary>Defocus disc radius, pixels at 540 rows: the camera focuses on the scene, not the glass.</summary>
    public double DropBlur { get; init; } = 9;

    /// <summary>Camera focal length as a multiple of the frame width (sets how wide a view each drop refracts).</summary>
    public double DropFocal { get; init; } = 1.0;

    /// <summary>New drops landing per frame, at 540 rows.</summary>
    public double DropSpawn { get; init; } = 0.5;

    /// <summary>Footprint radius above which gravity beats pinning and a drop slides, pixels at 540 rows.</summary>
    public double DropSlideRadius { get; init; } = 15;

    /// <summary>Sliding speed of a drop twice the slide radius, pixels per frame at 540 rows.</summary>
    public double DropSlideSpeed { get; init; } = 3;

    /// <summary>
    /// Drop coverage (after defocus) from which a pixel counts as raindrop in the binary mask. The default, half a
    /// grey level, marks every pixel a drop changes (the whole defocused halo); 0.25–0.5 gives masks that hug the
    /// visible drops, and then the drop frame also differs from the clean one in a rim of about the blur radius.
    /// </summary>
    public double DropMaskThreshold { get; init; } = 0.5 / 255;

    // ---- Veiling (rain accumulation; Yang et al. 2017, O = α(B + S) + (1 − α)A) ----

    /// <summary>Mean veiling opacity of the rain volume (scattered light that washes out contrast); 0 disables it.</summary>
    public double VeilDensity { get; init; }

    // ---- Time-lapse sets (MGID) ----

    /// <summary>Camera jitter between time-lapse frames, standard deviation in pixels at 540 rows.</summary>
    public double TimeLapseJitter { get; init; }

    /// <summary>Lighting drift between time-lapse frames, standard deviation of the log gain.</summary>
    public double TimeLapseLighting { get; init; }

    /// <summary>Scale from the reference height to a frame of <paramref name="height"/> rows.</summary>
    public static double ScaleFor(int height) => height / ReferenceHeight;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter that is out of range.</summary>
    public void Validate()
    {
        Require(StreakDensity is >= 0 and <= 1000, "streaks.density", "between 0 and 1000");
        Require(StreakLayers is >= 1 and <= 8, "streaks.layers", "between 1 and 8");
        Require(StreakLength is >= 1 and <= 500, "streaks.length", "between 1 and 500");
        Require(StreakWidth is >= 0.3 and <= 30, "streaks.width", "between 0.3 and 30");
        Require(StreakOpacity is >= 0 and <= 1, "streaks.opacity", "between 0 and 1");
        Require(StreakBrightness is >= 0 and <= 4, "streaks.brightness", "between 0 and 4");
        Require(WindAngle is null or >= -80 and <= 80, "wind.angle", "between -80 and 80 degrees");
        Require(WindRange is >= 0 and <= 80, "wind.range", "between 0 and 80 degrees");
        Require(WindJitter is >= 0 and <= 45, "wind.jitter", "between 0 and 45 degrees");
        Require(WindSway is >= 0 and <= 20, "wind.sway", "between 0 and 20 degrees");
        Require(DropCount is >= 0 and <= 5000, "drops.count", "between 0 and 5000");
        Require(DropRadiusMin is >= 1 and <= 200, "drops.radius-min", "between 1 and 200");
        Require(DropRadiusMax >= DropRadiusMin && DropRadiusMax <= 300, "drops.radius-max", "at least drops.radius-min and at most 300");
        Require(DropContactMin is >= 5 and <= 90, "drops.contact-min", "between 5 and 90 degrees");
        Require(DropContactMax >= DropContactMin && DropContactMax <= 90, "drops.contact-max", "at least drops.contact-min and at most 90 degrees");
        Require(DropBlur is >= 0 and <= 40, "drops.blur", "between 0 and 40");
        Require(DropFocal is >= 0.2 and <= 5, "drops.focal", "between 0.2 and 5");
        Require(DropSpawn is >= 0 and <= 100, "drops.spawn", "between 0 and 100");
        Require(DropSlideRadius is > 0 and <= 300, "drops.slide-radius", "between 0 and 300");
        Require(DropSlideSpeed is >= 0 and <= 100, "drops.slide-speed", "between 0 and 100");
        Require(DropMaskThreshold is > 0 and < 1, "drops.mask-threshold", "strictly between 0 and 1");
        Require(VeilDensity is >= 0 and <= 0.9, "veil.density", "between 0 and 0.9");
        Require(TimeLapseJitter is >= 0 and <= 50, "timelapse.jitter", "between 0 and 50");
        Require(TimeLapseLighting is >= 0 and <= 1, "timelapse.lighting", "between 0 and 1");
    }

    private static void Require(bool ok, string key, string range)
    {
        if (!ok) throw new SynthesisException($"{key} must be {range}.");
    }
}
