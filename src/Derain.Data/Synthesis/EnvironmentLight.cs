namespace Derain.Data.Synthesis;

/// <summary>
/// Light levels a rain renderer takes from the scene itself. Garg &amp; Nayar (2007, §3) show a falling drop
/// refracts light from a ~165° cone, so its radiance is a wide, sky-weighted average of the environment rather
/// than the background right behind it. The brightest twentieth of the frame and its upper third (usually sky or
/// distant scene) stand in for that cone, which reaches well beyond the frame and is dominated by the sky.
/// Averaging over so wide a view also washes out colour, hence the desaturation.
/// </summary>
internal readonly record struct EnvironmentLight(float[] Sky, float[] Mean, float[] Bright)
{
    /// <summary>Measures an RGB frame (planes [3, height, width]).</summary>
    public static EnvironmentLight Measure(ReadOnlySpan<float> rgb, int width, int height)
    {
        int plane = width * height, topRows = Math.Max(1, height / 3);
        var sky = new float[3];
        var mean = new float[3];
        var bright = new float[3];
        var histogram = new int[256];
        var r = rgb[..plane];
        var g = rgb.Slice(plane, plane);
        var b = rgb.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++) histogram[LumaBin(r[i], g[i], b[i])]++;
        // The brightest 5% of the frame: the part of the environment (sky, lit surfaces) that dominates what a drop refracts.
        int cut = 255, seen = 0;
        while (cut > 0 && (seen += histogram[cut]) < plane / 20) cut--;
        double[] top = new double[3], all = new double[3], hi = new double[3];
        int hiCount = 0;
        for (int i = 0; i < plane; i++)
        {
            bool isTop = i < topRows * width, isBright = LumaBin(r[i], g[i], b[i]) >= cut;
            if (isBright) hiCount++;
            for (int c = 0; c < 3; c++)
            {
                float v = rgb[c * plane + i];
                all[c] += v;
                if (isTop) top[c] += v;
                if (isBright) hi[c] += v;
            }
        }
        for (int c = 0; c < 3; c++)
        {
            sky[c] = (float)(top[c] / (topRows * width));
            mean[c] = (float)(all[c] / plane);
            bright[c] = (float)(hi[c] / Math.Max(1, hiCount));
        }
        return new EnvironmentLight(sky, mean, bright);
    }

    private static int LumaBin(float r, float g, float b)
        => Math.Clamp((int)((0.299f * r + 0.587f * g + 0.114f * b) * 255f + 0.5f), 0, 255);

    /// <summary>The radiance of a falling drop: the environment average, mostly desaturated, times <paramref name="gain"/>.</summary>
    public float[] DropRadiance(double gain)
    {
        var env = new float[3];
        for (int c = 0; c < 3; c++) env[c] = 0.4f * Sky[c] + 0.6f * Bright[c];
        float luma = 0.299f * env[0] + 0.587f * env[1] + 0.114f * env[2];
        for (int c = 0; c < 3; c++) env[c] = Math.Clamp((float)gain * (0.25f * env[c] + 0.75f * luma), 0f, 1f);
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
        for (int c = 0; c < 3; c++) a[c] = 0.6f * Mean[c];
        return a;
    }

    /// <summary>Exponential smoothing towards <paramref name="next"/> so the rain's brightness does not flicker with frame statistics.</summary>
    public EnvironmentLight SmoothedTowards(EnvironmentLight next, float keep)
        => new(Mix(Sky, next.Sky, keep), Mix(Mean, next.Mean, keep), Mix(Bright, next.Bright, keep));

    private static float[] Mix(float[] a, float[] b, float keep)
    {
        var m = new float[3];
        for (int c = 0; c < 3; c++) m[c] = keep * a[c] + (1 - keep) * b[c];
        return m;
    }
}
