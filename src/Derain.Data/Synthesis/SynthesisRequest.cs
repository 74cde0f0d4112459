namespace Derain.Data.Synthesis;

/// <summary>Everything one <c>derain synth</c> run needs.</summary>
public sealed record SynthesisRequest
{
    /// <summary>Frames rendered per still photo when no count is given (VRDS and streak kinds).</summary>
    public const int DefaultPhotoFrames = 30;

    /// <summary>Rainy frames per time-lapse scene when no count is given (MGID's time-lapse sets hold 14).</summary>
    public const int DefaultTimeLapseFrames = 14;

    /// <summary>A video file, frame folder, image, or folder of these.</summary>
    public required string Input { get; init; }

    /// <summary>The folder to create (must not exist, or be empty).</summary>
    public required string Output { get; init; }

    public SynthesisKind Kind { get; init; } = SynthesisKind.Vrds;

    /// <summary>The preset the options started from (recorded in the manifest).</summary>
    public RainPreset Preset { get; init; } = RainPreset.Mixed;

    /// <summary>The rain parameters (the preset with any overrides applied).</summary>
    public RainOptions Options { get; init; } = RainPresets.Get(RainPreset.Mixed);

    /// <summary>One seed for every random choice of the run.</summary>
    public ulong Seed { get; init; }

    /// <summary>At most this many frames per video; frames per photo or time-lapse scene. Null: all / the default.</summary>
    public int? Frames { get; init; }

    /// <summary>Width of a contact-sheet thumbnail in pixels.</summary>
    public int ContactTileWidth { get; init; } = 240;

    /// <summary>
    /// A request from command-line style values: the preset's options with each <c>key=value</c> in
    /// <paramref name="assignments"/> applied in order, validated.
    /// </summary>
    public static SynthesisRequest Create(string input, string output, string kind = "vrds", string preset = "mixed",
        ulong seed = 0, int? frames = null, IEnumerable<string>? assignments = null)
    {
        var parsedPreset = RainPresets.Parse(preset);
        var options = RainPresets.Get(parsedPreset);
        foreach (var a in assignments ?? []) options = RainOptionKeys.Apply(options, a);
        options.Validate();
        if (frames is < 1) throw new SynthesisException($"frames must be at least 1, not {frames}.");
        return new SynthesisRequest
        {
            Input = input,
            Output = output,
            Kind = SynthesisKinds.Parse(kind),
            Preset = parsedPreset,
            Options = options,
            Seed = seed,
            Frames = frames,
        };
    }

    /// <summary>The options as rendered for this kind: streak-only pairs never get drops.</summary>
    public RainOptions EffectiveOptions => Kind == SynthesisKind.Streaks ? Options with { DropCount = 0 } : Options;
}
