namespace Derain.Data.Synthesis;

/// <summary>What kind of training set <c>derain synth</c> writes.</summary>
public enum SynthesisKind
{
    /// <summary>
    /// VRDS layout (ViMP-Net): <c>{gt,lq,drop,01drop,mstreak}/&lt;video&gt;/%08d.png</c>, temporally coherent rain over
    /// each clean video (persistent drops, fresh streaks every frame).
    /// </summary>
    Vrds,

    /// <summary>
    /// Time-lapse sets (MGID): one static scene per source, many independently rendered rainy frames,
    /// <c>{gt,lq}/&lt;scene&gt;/%08d.png</c>, with optional camera jitter and lighting drift.
    /// </summary>
    TimeLapse,

    /// <summary>Rain-streak video pairs (EEVRSR): <c>{gt,lq,mstreak}/&lt;video&gt;/%08d.png</c>, no drops.</summary>
    Streaks,
}

/// <summary>Names and folders of each kind.</summary>
public static class SynthesisKinds
{
    /// <summary>Kind names as typed on the command line.</summary>
    public static IReadOnlyList<string> Names { get; } = ["vrds", "timelapse", "streaks"];

    /// <summary>Parses a kind name (case-insensitive).</summary>
    public static SynthesisKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "vrds" => SynthesisKind.Vrds,
            "timelapse" or "time-lapse" => SynthesisKind.TimeLapse,
            "streaks" => SynthesisKind.Streaks,
            _ => throw new SynthesisException($"Unknown kind '{name}'; use one of {string.Join(", ", Names)}."),
        };
    }

    /// <summary>The command-line name of a kind.</summary>
    public static string Name(this SynthesisKind kind) => Names[(int)kind];

    /// <summary>The label folders a kind writes, in the order the contact sheet shows them.</summary>
    public static IReadOnlyList<string> Folders(this SynthesisKind kind) => kind switch
    {
        SynthesisKind.Vrds => [DatasetLayout.Clean, DatasetLayout.Rainy, DatasetLayout.DropsOnly, DatasetLayout.DropMask, DatasetLayout.StreakMap],
        SynthesisKind.TimeLapse => [DatasetLayout.Clean, DatasetLayout.Rainy],
        SynthesisKind.Streaks => [DatasetLayout.Clean, DatasetLayout.Rainy, DatasetLayout.StreakMap],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
