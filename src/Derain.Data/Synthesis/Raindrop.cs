namespace Derain.Data.Synthesis;

/// <summary>
/// One drop on the glass: a spherical cap of footprint radius <see cref="Radius"/> (pixels) and contact angle
/// <see cref="ContactAngle"/> (radians), whose outline is a slightly irregular circle with a half-ellipse tail
/// trailing upward while it slides (the usual circle-plus-tail shape of rendered drops; Roser &amp; Geiger 2009).
/// </summary>
internal sealed class Raindrop
{
    /// <summary>Stable identity across frames (kept by the larger drop when two merge).</summary>
    public required int Id { get; init; }

    public double X { get; set; }
    public double Y { get; set; }
    public double Radius { get; set; }
    public double ContactAngle { get; set; }

    /// <summary>Elongation of the upper half (0: round); grows while the drop slides.</summary>
    public double Tail { get; set; }

    /// <summary>Tail of the drop at rest (a drop that landed at an angle is slightly oval).</summary>
    public double RestTail { get; set; }

    /// <summary>Outline harmonics: radius × (1 + H2·cos(2θ + P2) + H3·cos(3θ + P3)), pinning makes real outlines uneven.</summary>
    public double H2 { get; set; }
    public double P2 { get; set; }
    public double H3 { get; set; }
    public double P3 { get; set; }

    /// <summary>True while the drop slides (stick–slip: large drops alternate between pinned and moving).</summary>
    public bool Sliding { get; set; }

    /// <summary>Sideways drift per frame while sliding, pixels.</summary>
    public double DriftX { get; set; }

    /// <summary>Liquid volume up to a constant: a cap of fixed contact angle holds a volume ∝ radius³.</summary>
    public double Volume => Radius * Radius * Radius;

    /// <summary>Largest distance of the outline from the centre.</summary>
    public double Reach => Radius * (1 + Math.Abs(H2) + Math.Abs(H3)) * (1 + Tail);
}
