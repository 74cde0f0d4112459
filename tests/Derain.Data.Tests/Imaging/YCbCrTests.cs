using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Derain.Tensors.Serialization;

namespace Derain.Data.Tests.Imaging;

/// <summary>
/// <see cref="YCbCr"/> against Pillow 9.4 (Fixtures/ycbcr/ycbcr.npz, made by tools/golden/ycbcr.py, which first checks
/// the table rule on all 256³ inputs against Pillow): seeded colour samples and edge cases both ways, exactly; the
/// float inverse against a float64 numpy evaluation of the JFIF equations.
/// </summary>
public sealed class YCbCrTests
{
    private static readonly Lazy<Dictionary<string, NpyArray>> Golden = new(() => Npy.ReadNpz(TestPaths.Fixture("ycbcr/ycbcr.npz")));

    [Fact]
    public void RgbToYCbCrMatchesPillowExactly()
    {
        var input = Bytes("rgb_in");
        var expected = Bytes("ycbcr_pil");
        int n = input.Length / 3, wrong = 0;
        for (int i = 0; i < n; i++)
        {
            var (y, cb, cr) = YCbCr.FromRgb(input[3 * i], input[3 * i + 1], input[3 * i + 2]);
            if (y != expected[3 * i] || cb != expected[3 * i + 1] || cr != expected[3 * i + 2]) wrong++;
        }
        Assert.True(n > 20_000);
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void YCbCrToRgbMatchesPillowExactly()
    {
        var input = Bytes("ycbcr_in");
        var expected = Bytes("rgb_pil");
        int n = input.Length / 3;
        var y = new byte[n];
        var cb = new byte[n];
        var cr = new byte[n];
        for (int i = 0; i < n; i++) (y[i], cb[i], cr[i]) = (input[3 * i], input[3 * i + 1], input[3 * i + 2]);
        var rgb = new byte[3 * n];
        YCbCr.ToRgb(y, cb, cr, rgb);
        Assert.True(n > 20_000);
        Assert.Equal(expected, rgb);
    }

    [Fact]
    public void PlaneConversionEqualsThePerPixelOne()
    {
        var input = Bytes("rgb_in");
        int n = input.Length / 3;
        var y = new byte[n];
        var cb = new byte[n];
        var cr = new byte[n];
        YCbCr.FromRgb(input, y, cb, cr);
        var expected = Bytes("ycbcr_pil");
        for (int i = 0; i < n; i++)
            Assert.Equal((expected[3 * i], expected[3 * i + 1], expected[3 * i + 2]), (y[i], cb[i], cr[i]));
    }

    [Fact]
    public void GraysKeepNeutralChromaButLoseOneLevelWherePillowsTablesTruncate()
    {
        // The JFIF weights sum to 1, so float arithmetic maps gray k to Y = k. Pillow's truncated tables give k − 1
        // for these 22 grays (printed by Pillow 9.4 for every gray); a float implementation would miss all of them.
        int[] lowered = [11, 18, 25, 32, 55, 62, 69, 76, 99, 106, 113, 136, 143, 150, 157, 180, 187, 194, 201, 224, 231, 238];
        for (int k = 0; k < 256; k++)
        {
            var (y, cb, cr) = YCbCr.FromRgb((byte)k, (byte)k, (byte)k);
            Assert.Equal((128, 128), (cb, cr));
            Assert.Equal(lowered.Contains(k) ? k - 1 : k, y);
            // The inverse of neutral chroma is exact.
            Assert.Equal(((byte)k, (byte)k, (byte)k), YCbCr.ToRgb((byte)k, 128, 128));
        }
    }

    [Fact]
    public void FloatInverseMatchesTheFloat64Reference()
    {
        var y = Golden.Value["float_y"].Data;
        var cbcr = Bytes("float_cbcr");
        var expected = Golden.Value["float_rgb"].Data; // [P, K, 3]
        int k = y.Length, p = cbcr.Length / 2;
        var luma = y.Select(v => (float)v).ToArray();
        var planes = new float[3 * k];
        double worst = 0;
        for (int j = 0; j < p; j++)
        {
            var cb = Enumerable.Repeat(cbcr[2 * j], k).ToArray();
            var cr = Enumerable.Repeat(cbcr[2 * j + 1], k).ToArray();
            YCbCr.ToRgbFloat(luma, cb, cr, planes);
            for (int i = 0; i < k; i++)
                for (int c = 0; c < 3; c++)
                {
                    double reference = expected[(j * k + i) * 3 + c];
                    worst = Math.Max(worst, Math.Abs(planes[c * k + i] - reference));
                    // The double overload is the float64 computation itself.
                    var d = YCbCr.ToRgbFloat(y[i], cbcr[2 * j] / 255.0, cbcr[2 * j + 1] / 255.0);
                    Assert.Equal(reference, c == 0 ? d.R : c == 1 ? d.G : d.B, 12);
                }
        }
        // float32 storage of values up to ~2 in magnitude: at most half an ulp (1.2e-7).
        Assert.True(worst < 2e-7, $"float inverse differs from float64 by {worst:E2}");
        // Nothing is clamped: a luma above 1 with neutral chroma stays above 1.
        Assert.True(YCbCr.ToRgbFloat(1.3, 128 / 255.0, 128 / 255.0).R > 1.29);
    }

    [Fact]
    public void FloatInverseRoundsToWithinOneCodeOfPillow()
    {
        var input = Bytes("ycbcr_in");
        var pil = Bytes("rgb_pil");
        int n = input.Length / 3, exact = 0;
        for (int i = 0; i < n; i++)
        {
            var (r, g, b) = YCbCr.ToRgbFloat(input[3 * i] / 255.0, input[3 * i + 1] / 255.0, input[3 * i + 2] / 255.0);
            double[] f = [r, g, b];
            for (int c = 0; c < 3; c++)
            {
                double code = Math.Clamp(Math.Round(f[c] * 255.0), 0, 255);
                Assert.InRange(Math.Abs(code - pil[3 * i + c]), 0, 1);
                if (code == pil[3 * i + c]) exact++;
            }
        }
        // Pillow floors each table sum; the float path rounds, so most but not all samples agree.
        Assert.True(exact > 3 * n / 2);
    }

    [Fact]
    public void MismatchedPlaneLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => YCbCr.FromRgb(new byte[9], new byte[3], new byte[3], new byte[2]));
        Assert.Throws<ArgumentException>(() => YCbCr.ToRgb(new byte[3], new byte[3], new byte[3], new byte[8]));
        Assert.Throws<ArgumentException>(() => YCbCr.ToRgbFloat(new float[3], new byte[3], new byte[3], new float[8]));
    }

    private static byte[] Bytes(string key) => Golden.Value[key].Data.Select(v => (byte)v).ToArray();
}
