namespace Derain.Data.Synthesis;

/// <summary>
/// One rain streak: the image of a drop smeared along its fall path during the exposure (Garg &amp; Nayar 2007).
/// Centre and direction in pixels (y down); <see cref="DirX"/>, <see cref="DirY"/> is the unit fall direction.
/// </summary>
internal readonly record struct Streak(
    float CenterX, float CenterY, float DirX, float DirY,
    float HalfLength, float Sigma, float Peak, float RippleAmplitude, float RippleFrequency, float RipplePhase)
{
    /// <summary>Cut-off of the Gaussian cross profile, in standard deviations.</summary>
    public const float CrossExtent = 3f;

    /// <summary>Half extent across the streak beyond which it adds nothing.</summary>
    public float HalfWidth => CrossExtent * Sigma;

    /// <summary>
    /// Length of the soft ends: at least the drop's own image size; longer because the exposure's shutter opens and
    /// closes gradually and the drop's brightness varies, so real streaks fade in and out rather than stop.
    /// </summary>
    public float EndTaper => MathF.Max(1f, MathF.Max(2.5f * Sigma, HalfLength * 0.35f));

    /// <summary>Bounding rows (inclusive) the streak can touch.</summary>
    public (int Top, int Bottom) RowRange()
    {
        float ext = HalfLength * MathF.Abs(DirY) + HalfWidth * MathF.Abs(DirX) + 1;
        return ((int)MathF.Floor(CenterY - ext), (int)MathF.Ceiling(CenterY + ext));
    }
}
