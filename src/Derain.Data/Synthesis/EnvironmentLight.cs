namespace Derain.Data.Synthesis;

/// <summary>
/// Light levels a rain renderer takes from the scene itself. Garg &amp; Nayar (2007, §3) show a falling drop
/// refracts light from a ~165° cone, so its radiance is a wide, sky-weighted average of the environment rather
/// than the background right behind it; the upper third of a frame (usually sky or distant scene) stands in for
/// that cone. Averaging over so wide a view also washes out colour, hence the desaturation.
/// </summary>
internal readonly record struct EnvironmentLight(float[] Sky, float[] Mean)
{
    /// <summary>Measures an RGB frame (planes [3, height, width]).</summary>
    public static EnvironmentLight Measure(ReadOnlySpan<float> rgb, int width, int height)
    {
        int plane = width * height, topRows = Math.Max(1, height / 3);
        var sky = new float[3];
        var mean = new float[3];
        for (int c = 0; c < 3; c++)
        {
            var p = rgb.Slice(c * plane, plane);
            double top = 0, all = 0;
            for (int i = 0; i < plane; i++)
            {
                all += p[i];
                if (i < topRows * width) top += p[i];
            }
            sky[c] = (float)(top / (topRows * width));
            mean[c] = (float)(all / plane);
        }
        return new EnvironmentLight(sky, mean);
    }

    /// <summary>The radiance of a falling drop: the environment average, desaturated halfway, times <paramref name="gain"/>.</summary>
    public float[] DropRadiance(double gain)
    {
        var env = new float[3];
        for (int c = 0; c < 3; c++) env[c] = 0.6f * Sky[c] + 0.4f * Mean[c];
        float luma = 0.299f * env[0] + 0.587f * env[1] + 0.114f * env[2];
        for (int c = 0; c < 3; c++) env[c] = Math.Clamp((float)gain * 0.5f * (env[c] + luma), 0f, 1f);
        return env;
    }

    /// <summary>The airlight A that veiling rain scatters towards the camera (the sky/horizon colour).</summary>
    public float[] Airlight()
    {
        var a = new float[3];
        for (int c = 0; c < 3; c++) a[c] = Math.Clamp(1.05f * (0.8f * Sky[c] + 0.2f * Mean[c]), 0f, 1f);
        return a;
    }

    /// <summary>What the rim of a drop reflects by total internal reflection: the dim inside of the vehicle.</summary>
    public float[] Interior()
    {
        var a = new float[3];
        for (int c = 0; c < 3; c++) a[c] = 0.25f * Mean[c];
        return a;
    }

    /// <summary>Exponential smoothing towards <paramref name="next"/> so the rain's brightness does not flicker with frame statistics.</summary>
    public EnvironmentLight SmoothedTowards(EnvironmentLight next, float keep)
    {
        var sky = new float[3];
        var mean = new float[3];
        for (int c = 0; c < 3; c++)
        {
            sky[c] = keep * Sky[c] + (1 - keep) * next.Sky[c];
            mean[c] = keep * Mean[c] + (1 - keep) * next.Mean[c];
        }
        return new EnvironmentLight(sky, mean);
    }
}
