using Derain.Pipelines.Training.Data;
using Derain.Tensors;

namespace Derain.Pipelines.Tests.Training;

public sealed class LumaTests
{
    /// <summary>
    /// The documented claim: PIL's integer RGB→YCbCr table (libImaging/ConvertYCbCr.c, Y = (19595 R + 38470 G + 7471 B
    /// + 2¹⁵) ≫ 16), which the official EEVRSR pipeline uses, is the JFIF float formula rounded to 8 bits — for every
    /// one of the 2²⁴ colours it is within half a level (plus the table's own 16-bit coefficient error) of 255·Y.
    /// </summary>
    [Fact]
    public void Pil_integer_luma_is_the_float_formula_rounded()
    {
        double worst = 0;
        int differentFromRounding = 0;
        var rgb = new float[3 * 256];
        for (int r = 0; r < 256; r++)
            for (int g = 0; g < 256; g++)
            {
                for (int b = 0; b < 256; b++)
                {
                    rgb[b] = r / 255f;
                    rgb[256 + b] = g / 255f;
                    rgb[512 + b] = b / 255f;
                }
                using var y = Luma.FromRgb(Tensor.Wrap(rgb, 3, 1, 256));
                var ys = y.Span<float>();
                for (int b = 0; b < 256; b++)
                {
                    int pil = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
                    double d = Math.Abs(pil - 255.0 * ys[b]);
                    worst = Math.Max(worst, d);
                    if (pil != (int)Math.Round(255.0 * ys[b], MidpointRounding.AwayFromZero)) differentFromRounding++;
                }
            }
        Assert.True(worst <= 0.5 + 2e-3, $"largest gap {worst}");
        // Only colours whose 255·Y sits within the table's coefficient error of a half level round differently.
        Assert.True(differentFromRounding < 256 * 256 * 256 / 1000, $"{differentFromRounding} colours differ");
    }

    [Fact]
    public void Pair_gives_all_rainy_frames_and_the_clean_centre()
    {
        // [N=2, T=5, 3, 1, 2]: every value encodes (n, t, c, x) so the picked frame can be checked.
        var data = new float[2 * 5 * 3 * 2];
        for (int i = 0; i < data.Length; i++) data[i] = i / 100f;
        using var rainy = Tensor.FromArray(data, 2, 5, 3, 1, 2);
        using var clean = Tensor.FromArray(data.Select(v => v + 1).ToArray(), 2, 5, 3, 1, 2);
        var (frames, target) = Luma.Pair(rainy, clean);
        Assert.Equal(new Shape(2, 5, 1, 2), frames.Shape);
        Assert.Equal(new Shape(2, 1, 1, 2), target.Shape);
        float Y(float[] src, int n, int t, int x) => (float)(0.299 * src[((n * 5 + t) * 3 + 0) * 2 + x] + 0.587 * src[((n * 5 + t) * 3 + 1) * 2 + x] + 0.114 * src[((n * 5 + t) * 3 + 2) * 2 + x]);
        Assert.Equal(Y(data, 1, 3, 1), frames.ToArray()[(1 * 5 + 3) * 2 + 1]);
        var cleanData = data.Select(v => v + 1).ToArray();
        Assert.Equal(Y(cleanData, 1, 2, 0), target.ToArray()[2]);
        Assert.Equal(Y(cleanData, 0, 2, 1), target.ToArray()[1]);

        // A loader that reads the clean centre frame alone gives the same target.
        using var centres = Ops.Narrow(clean, 1, 2, 1);
        var (_, sameTarget) = Luma.Pair(rainy, centres);
        Assert.Equal(target.ToArray(), sameTarget.ToArray());
        Assert.Throws<ArgumentException>(() => Luma.Pair(rainy, Ops.Narrow(clean, 1, 0, 3)));
    }
}
