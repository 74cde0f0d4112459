using Derain.Data.Video;

namespace Derain.Pipelines.Inference;

/// <summary>What <c>derain run</c> writes.</summary>
public enum OutputFormat
{
    /// <summary>A video file (H.264 in the container the extension names), at the input's frame rate.</summary>
    Mp4,

    /// <summary>A folder of 8-bit PNGs: the official 8-bit result, without the official JPEG re-encoding.</summary>
    Png,

    /// <summary>A folder of 16-bit PNGs from the float luma through the float JFIF inverse (no 8-bit rounding).</summary>
    Png16,

    /// <summary>
    /// A folder of NumPy arrays per frame: &lt;stem&gt;.npy (float32 [H, W, 3] RGB on the [0, 1] scale from the float
    /// inverse, before rounding or clamping) and &lt;stem&gt;_y.npy (the network's luma, float32 [H, W]).
    /// </summary>
    Npy,
}

/// <summary>Names and defaults of <see cref="OutputFormat"/>.</summary>
public static class OutputFormats
{
    /// <summary>The names <c>--format</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mp4", "png", "png16", "npy"];

    /// <summary>Parses a format name (case-insensitive).</summary>
    public static OutputFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "mp4" => OutputFormat.Mp4,
        "png" => OutputFormat.Png,
        "png16" => OutputFormat.Png16,
        "npy" => OutputFormat.Npy,
        _ => throw new InferenceException($"unsupported output format '{name}'; use one of {string.Join(", ", Names)}"),
    };

    /// <summary>The format an output path implies: a video extension → <see cref="OutputFormat.Mp4"/>, .npy → <see cref="OutputFormat.Npy"/> (a single image's output), anything else PNG.</summary>
    public static OutputFormat ForPath(string output)
        => VideoReader.HasVideoExtension(output) ? OutputFormat.Mp4
            : Path.GetExtension(output).Equals(".npy", StringComparison.OrdinalIgnoreCase) ? OutputFormat.Npy
            : OutputFormat.Png;

    /// <summary>True when the format writes a folder rather than one file.</summary>
    public static bool IsFolder(this OutputFormat format) => format != OutputFormat.Mp4;

    public static string Name(this OutputFormat format) => Names[(int)format];
}
