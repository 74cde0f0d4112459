namespace Derain.Data.Synthesis;

/// <summary>
/// One rendered frame and its labels, as float planes ([C, H, W], values in [0, 1]).
/// </summary>
public sealed class RainFrame
{
    internal RainFrame(int width, int height, float[] clean)
    {
        Width = width;
        Height = height;
        Clean = clean;
        // Every sample is written by the compositor, so the arrays need no zeroing.
        Rainy = GC.AllocateUninitializedArray<float>(3 * width * height);
        DropsOnly = GC.AllocateUninitializedArray<float>(3 * width * height);
        DropMask = GC.AllocateUninitializedArray<float>(width * height);
        StreakMap = GC.AllocateUninitializedArray<float>(width * height);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The clean frame (VRDS <c>gt</c>), RGB.</summary>
    public float[] Clean { get; }

    /// <summary>Streaks, veil and drops (VRDS <c>lq</c>), RGB.</summary>
    public float[] Rainy { get; }

    /// <summary>Drops only (VRDS <c>drop</c>), RGB.</summary>
    public float[] DropsOnly { get; }

    /// <summary>1 where a drop covers the pixel (defocused coverage ≥ the mask threshold), else 0 (VRDS <c>01drop</c>).</summary>
    public float[] DropMask { get; }

    /// <summary>
    /// β, the fraction of the exposure during which rain (streaks and veil) covers the pixel (VRDS <c>mstreak</c>);
    /// the rainy frame is (1 − β)·drop + β·(rain radiance).
    /// </summary>
    public float[] StreakMap { get; }
}
