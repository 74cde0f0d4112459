using Derain.Data.Synthesis;

namespace Derain.Data.Tests.Synthesis;

/// <summary>The spherical-cap lens against closed-form expectations (Snell, critical angle, paraxial limit).</summary>
public class DropOpticsTests
{
    private const double N = 1.333;

    [Fact]
    public void TheCentreShowsAFlippedShrunkViewWithTheParaxialMagnification()
    {
        // Near the axis δ ≈ (n − 1)·φ and φ ≈ ρ·sin τ, so the source offset scale is 1 − f·(n − 1)·sin τ / r.
        double radius = 15, tau = 50 * Math.PI / 180, focal = 960;
        var optics = new DropOptics(radius, tau, focal);
        double paraxial = 1 - focal * (N - 1) * Math.Sin(tau) / radius;
        Assert.InRange(optics.Scale(0.02f), paraxial * 1.01, paraxial * 0.99); // negative: flipped
        Assert.True(paraxial < -10, "a drop shows a view more than ten times its own size");
    }

    [Fact]
    public void TheFisheyeCompressesTowardsTheRim()
    {
        // The deviation grows faster than linearly with ρ, so the view reaches further per pixel towards the rim.
        var optics = new DropOptics(20, 40 * Math.PI / 180, 900);
        float inner = optics.Scale(0.2f), outer = optics.Scale(0.9f);
        Assert.True(outer < inner, $"scale {inner} at ρ = 0.2, {outer} at ρ = 0.9");
    }

    [Theory]
    [InlineData(40.0, false)]
    [InlineData(80.0, true)]
    public void TheRimReflectsTotallyOnlyAboveTheCriticalContactAngle(double contactDegrees, bool totalReflection)
    {
        // Total internal reflection where n·ρ·sin τ > 1, which needs sin τ > 1/n (τ > 48.6°).
        double tau = contactDegrees * Math.PI / 180;
        var optics = new DropOptics(20, tau, 900);
        Assert.Equal(totalReflection, optics.Transmission(1f) == 0f);
        if (totalReflection)
        {
            float critical = (float)(1 / (N * Math.Sin(tau)));
            Assert.True(optics.Transmission(critical - 0.05f) > 0.3f);
            Assert.Equal(0f, optics.Transmission(critical + 0.05f));
        }
        Assert.InRange(optics.Transmission(0f), 0.97f, 0.99f); // normal incidence: 1 − ((n − 1)/(n + 1))² ≈ 0.98
    }

    [Fact]
    public void DiscBlurKeepsTheSumAndReachesExactlyItsRadius()
    {
        var layer = new DropLayer(40, 30, 5);
        int cw = layer.CanvasWidth, centre = 15 * 40 + 20;
        int cx = 20, cy = 15;
        layer.Alpha[(cy + layer.Pad) * cw + cx + layer.Pad] = 1f;
        layer.Mark(cy + layer.Pad, cy + layer.Pad, cx + layer.Pad, cx + layer.Pad);
        var output = new float[40 * 30];
        new DiscBlur(4.5).Apply(layer, layer.Alpha, output);
        Assert.Equal(1.0, output.Sum(v => (double)v), 5);
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < 40; x++)
            {
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                float v = output[y * 40 + x];
                if (d2 > 4.5 * 4.5) Assert.Equal(0f, v);
                else Assert.Equal(output[centre], v); // a uniform disc
            }
    }
}
