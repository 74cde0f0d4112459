namespace Derain.Data.Synthesis;

/// <summary>
/// Ray optics of a spherical-cap water drop on glass, seen by a camera focused far away (Halimeh &amp; Roser 2009).
/// A camera ray crosses the glass and leaves the water through the cap at incidence φ, with sin φ = ρ·sin τ
/// (ρ: distance from the drop centre over the footprint radius, τ: contact angle). Snell (n = 1.333) bends it by
/// δ = asin(n·sin φ) − φ towards the drop axis, so the drop is a strong converging lens: it shows a flipped, shrunk,
/// fisheye view of the scene around it. Past the critical angle (n·sin φ &gt; 1, only when τ &gt; 48.6°) the ray is
/// totally reflected and the rim shows the dark inside of the car; Fresnel reflection darkens the rim before that.
/// </summary>
internal sealed class DropOptics
{
    /// <summary>Refractive index of water.</summary>
    public const double WaterIndex = 1.333;

    /// <summary>Table entries over ρ in [0, 1].</summary>
    public const int Steps = 64;

    private readonly float[] _scale = new float[Steps + 1];
    private readonly float[] _transmission = new float[Steps + 1];

    /// <summary>
    /// Tables for one drop: footprint radius <paramref name="radius"/> and focal length <paramref name="focal"/>
    /// in pixels, contact angle <paramref name="contactAngle"/> in radians.
    /// </summary>
    public DropOptics(double radius, double contactAngle, double focal)
    {
        double sinTau = Math.Sin(contactAngle);
        double lastScale = 1, lastTransmission = 1;
        for (int i = 0; i <= Steps; i++)
        {
            double rho = Math.Max(i / (double)Steps, 1e-4);
            double sinPhi = rho * sinTau;
            double sinOut = WaterIndex * sinPhi;
            if (sinOut < 1)
            {
                double phi = Math.Asin(sinPhi), theta = Math.Asin(sinOut);
                double deviation = theta - phi;
                // The ray through the pixel at ρ·r from the centre turns by δ towards the axis, so it meets the far
                // scene f·tan δ pixels on the other side: source = centre + offset · (1 − f·tan δ / (ρ·r)).
                lastScale = 1 - focal * Math.Tan(deviation) / (rho * radius);
                lastTransmission = FresnelTransmission(phi, theta);
            }
            else
            {
                lastTransmission = 0; // total internal reflection: keep the last scale so sampling stays continuous
            }
            _scale[i] = (float)lastScale;
            _transmission[i] = (float)lastTransmission;
        }
    }

    /// <summary>Source offset scale at radius fraction <paramref name="rho"/> (negative: the view is flipped).</summary>
    public float Scale(float rho) => Lerp(_scale, rho);

    /// <summary>Fraction of light transmitted out of the drop at <paramref name="rho"/> (the rest is reflected).</summary>
    public float Transmission(float rho) => Lerp(_transmission, rho);

    private static float Lerp(float[] table, float rho)
    {
        float p = Math.Clamp(rho, 0f, 1f) * Steps;
        int i = Math.Min((int)p, Steps - 1);
        float f = p - i;
        return table[i] + f * (table[i + 1] - table[i]);
    }

    /// <summary>Unpolarised Fresnel transmittance from water into air at incidence φ, refraction θ.</summary>
    private static double FresnelTransmission(double phi, double theta)
    {
        double ci = Math.Cos(phi), ct = Math.Cos(theta);
        double rs = (WaterIndex * ci - ct) / (WaterIndex * ci + ct);
        double rp = (WaterIndex * ct - ci) / (WaterIndex * ct + ci);
        return 1 - 0.5 * (rs * rs + rp * rp);
    }
}
