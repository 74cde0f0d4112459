namespace Derain.Data.Synthesis;

/// <summary>Named starting points for <see cref="RainOptions"/>; every value can still be overridden.</summary>
public enum RainPreset
{
    /// <summary>Drizzle: sparse, thin, faint streaks, no drops.</summary>
    Light,
    /// <summary>Downpour: dense, long, wider streaks at stronger wind, with veiling; no drops.</summary>
    Heavy,
    /// <summary>Raindrops on the glass only.</summary>
    Drops,
    /// <summary>Streaks and raindrops together (the VRDS setting).</summary>
    Mixed,
}

/// <summary>The preset table.</summary>
public static class RainPresets
{
    /// <summary>Preset names as typed on the command line.</summary>
    public static IReadOnlyList<string> Names { get; } = ["light", "heavy", "drops", "mixed"];

    /// <summary>The options a preset starts from.</summary>
    public static RainOptions Get(RainPreset preset) => preset switch
    {
        // Rain100L-like drizzle: thin short streaks at a mild angle.
        RainPreset.Light => new RainOptions
        {
            StreakDensity = 14, StreakLayers = 3, StreakLength = 36, StreakWidth = 1.2, StreakOpacity = 0.14,
            WindRange = 10, WindJitter = 1.5, WindSway = 0.3,
        },
        // Rain100H / heavy-rain generator: long dense streaks over three to four depths, up to ±30° of wind,
        // plus the accumulated veil that washes out distant contrast.
        RainPreset.Heavy => new RainOptions
        {
            StreakDensity = 80, StreakLayers = 4, StreakLength = 55, StreakWidth = 1.4, StreakOpacity = 0.15,
            WindRange = 30, WindJitter = 1.5, WindSway = 0.6, VeilDensity = 0.15,
        },
        RainPreset.Drops => new RainOptions
        {
            DropCount = 180, DropSpawn = 1,
        },
        RainPreset.Mixed => new RainOptions
        {
            StreakDensity = 35, StreakLayers = 3, StreakLength = 45, StreakWidth = 1.3, StreakOpacity = 0.15,
            WindRange = 20, WindJitter = 1.5, WindSway = 0.4, DropCount = 90, DropSpawn = 0.6, VeilDensity = 0.06,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "unknown preset"),
    };

    /// <summary>Parses a preset name (case-insensitive).</summary>
    public static RainPreset Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "light" => RainPreset.Light,
            "heavy" => RainPreset.Heavy,
            "drops" => RainPreset.Drops,
            "mixed" => RainPreset.Mixed,
            _ => throw new SynthesisException($"Unknown preset '{name}'; use one of {string.Join(", ", Names)}."),
        };
    }
}
