namespace Derain.Data.Metrics;

/// <summary>
/// How published deraining results compute PSNR/SSIM (docs/metrics.md in the shared docs). The same images score
/// 1–2 dB apart between conventions, so every report names the one it used.
/// </summary>
public enum MetricConvention
{
    /// <summary>
    /// <c>rgb</c>: uint8 RGB, PSNR over all three channels at once, SSIM per channel then averaged
    /// (KAIR utils_image as used by VRDS / ViMP-Net / RainMamba; PromptIR; derain-toolbox).
    /// </summary>
    Rgb,

    /// <summary>
    /// <c>y</c>: MATLAB rgb2ycbcr luma on uint8, Y = round(16 + (65.481 R + 128.553 G + 24.966 B)/255), kept as
    /// uint8 as MATLAB returns it (Restormer, MPRNet, DRSformer, NeRD-Rain and PReNet evaluate in MATLAB).
    /// BasicSR's test_y_channel keeps Y unrounded, which moves results by about 0.01 dB.
    /// </summary>
    Y,

    /// <summary>
    /// <c>y-full</c>: full-range (JFIF/OpenCV) luma 0.299 R + 0.587 G + 0.114 B as OpenCV's cvtColor computes it
    /// on uint8 (DeRaindrop by Qian et al., CMFNet).
    /// </summary>
    YFull,
}

/// <summary>Names of <see cref="MetricConvention"/> as users type and reports print them.</summary>
public static class MetricConventions
{
    /// <summary>"rgb", "y" or "y-full".</summary>
    public static string Name(this MetricConvention convention) => convention switch
    {
        MetricConvention.Rgb => "rgb",
        MetricConvention.Y => "y",
        MetricConvention.YFull => "y-full",
        _ => throw new ArgumentOutOfRangeException(nameof(convention), convention, null),
    };

    /// <summary>One line saying what the convention computes, for report headers.</summary>
    public static string Describe(this MetricConvention convention) => convention switch
    {
        MetricConvention.Rgb => "uint8 RGB; PSNR over all channels, SSIM averaged over channels (KAIR/VRDS)",
        MetricConvention.Y => "MATLAB rgb2ycbcr luma (BT.601 limited range, uint8)",
        MetricConvention.YFull => "full-range luma 0.299R+0.587G+0.114B (OpenCV, uint8)",
        _ => throw new ArgumentOutOfRangeException(nameof(convention), convention, null),
    };

    /// <summary>Parses "rgb", "y" or "y-full" (any case).</summary>
    public static MetricConvention Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "rgb" => MetricConvention.Rgb,
        "y" => MetricConvention.Y,
        "y-full" or "yfull" => MetricConvention.YFull,
        _ => throw new FormatException($"Unknown metric convention '{name}': use rgb, y or y-full."),
    };
}
