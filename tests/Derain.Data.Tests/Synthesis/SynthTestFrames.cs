namespace Derain.Data.Tests.Synthesis;

/// <summary>Procedural clean frames (no files needed) and small image helpers for the synthesis tests.</summary>
internal static class SynthTestFrames
{
    /// <summary>A textured RGB frame: a bright "sky" top, darker ground, stripes and a checker so refraction has something to show.</summary>
    public static float[] Scene(int width, int height)
    {
        var planes = new float[3 * width * height];
        int plane = width * height;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float sky = y < height / 3 ? 0.75f : 0.3f;
                float stripe = ((x / 7) % 2 == 0) ? 0.08f : -0.08f;
                float check = (((x / 16) + (y / 16)) % 2 == 0) ? 0.05f : 0f;
                float v = Math.Clamp(sky + stripe + check + 0.1f * y / height, 0f, 1f);
                planes[y * width + x] = v;
                planes[plane + y * width + x] = Math.Clamp(v * 0.95f + 0.02f, 0f, 1f);
                planes[2 * plane + y * width + x] = Math.Clamp(v * 0.9f + 0.05f, 0f, 1f);
            }
        }
        return planes;
    }

    /// <summary>A flat RGB frame, left half at <paramref name="left"/>, right half at <paramref name="right"/>.</summary>
    public static float[] Halves(int width, int height, float left, float right)
    {
        var planes = new float[3 * width * height];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    planes[c * width * height + y * width + x] = x < width / 2 ? left : right;
        return planes;
    }

    /// <summary>8-bit quantisation as a PNG writer does it (round half to even, clamp).</summary>
    public static byte Byte(float v) => v * 255f is var s && s > 0 ? (s >= 255 ? (byte)255 : (byte)MathF.Round(s)) : (byte)0;

    /// <summary>Binary dilation with a square of radius <paramref name="r"/>.</summary>
    public static bool[] Dilate(float[] mask, int width, int height, int r)
    {
        var result = new bool[mask.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (mask[y * width + x] < 0.5f) continue;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < height && xx >= 0 && xx < width) result[yy * width + xx] = true;
                    }
            }
        return result;
    }
}
