using System.Globalization;

namespace Derain.Data.Synthesis;

/// <summary>
/// Folder and file names of a synthesised set, as ViMP-Net's VRDS loader reads them
/// (<c>{lq,gt,01drop,drop,mstreak}/&lt;video&gt;/{:08d}.png</c>, frames numbered from 0).
/// </summary>
public static class DatasetLayout
{
    public const string Clean = "gt";
    public const string Rainy = "lq";
    public const string DropsOnly = "drop";
    public const string DropMask = "01drop";
    public const string StreakMap = "mstreak";

    /// <summary>The parameters, seed and sources a set was made from (so it can be rebuilt).</summary>
    public const string Manifest = "synthesis.json";

    /// <summary>A grid of first frames and labels for a quick look.</summary>
    public const string ContactSheet = "contact-sheet.png";

    /// <summary>File name of frame <paramref name="index"/>: <c>00000000.png</c>.</summary>
    public static string FrameFile(int index) => index.ToString("D8", CultureInfo.InvariantCulture) + ".png";

    /// <summary>Path of one label frame under <paramref name="root"/>.</summary>
    public static string FramePath(string root, string folder, string video, int index)
        => Path.Combine(root, folder, video, FrameFile(index));
}
