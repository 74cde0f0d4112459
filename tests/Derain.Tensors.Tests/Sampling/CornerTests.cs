using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors.Tests.Sampling;

public class CornerTests
{
    [Fact]
    public void Bilinear_corners_follow_torchvision_border_rules()
    {
        // Inside: four corners with weights summing to 1.
        var c = Corners<double>.Bilinear(1.25, 2.5, 4, 5);
        Assert.Equal(Corners<double>.All, c.Inside);
        Assert.Equal((1 * 5 + 2, 1 * 5 + 3, 2 * 5 + 2, 2 * 5 + 3), (c.P00, c.P01, c.P10, c.P11));
        Assert.Equal(1.0, c.W00 + c.W01 + c.W10 + c.W11, 12);
        // Between row −1 and row 0: only the bottom corners exist, weighted by the distance from row −1.
        c = Corners<double>.Bilinear(-0.25, 2, 4, 5);
        Assert.Equal(4 | 8, c.Inside);
        Assert.Equal(0.75, c.W10, 12);
        // y ≤ −1 or y ≥ h (and likewise x) reads nothing, as torchvision's bilinear_interpolate returns 0 there.
        Assert.Equal(0, Corners<double>.Bilinear(-1, 2, 4, 5).Value(1, 1, 1, 1));
        Assert.Equal(0, Corners<double>.Bilinear(4, 2, 4, 5).Inside);
        Assert.Equal(0, Corners<double>.Bilinear(1, -3, 4, 5).Inside);
        Assert.Equal(0, Corners<double>.Bilinear(double.NaN, 1, 4, 5).Inside);
        Assert.Equal(0, Corners<double>.Bilinear(1e300, 1, 4, 5).Inside);
    }

    [Fact]
    public void Nearest_rounds_half_to_even()
    {
        Assert.Equal(2, Corners<double>.Nearest(0, 2.5, 3, 5).P00);
        Assert.Equal(4, Corners<double>.Nearest(0, 3.5, 3, 5).P00);
        Assert.Equal(4, Corners<double>.Nearest(0, 4.5, 3, 5).P00);
        Assert.Equal(0, Corners<double>.Nearest(0, -0.5, 3, 5).P00);
        Assert.Equal(1, Corners<double>.Nearest(0, -0.5, 3, 5).Inside);
        Assert.Equal(0, Corners<double>.Nearest(0, 5.5, 3, 5).Inside);
    }

    [Fact]
    public unsafe void Vectorised_row_fill_matches_the_scalar_corners_exactly()
    {
        // Integer, half-integer, far-outside, NaN and random offsets over a row long enough for several
        // 8-wide blocks and a tail; every field must equal Corners.Bilinear bit for bit (float and double).
        int n = 37, h = 5, w = 7;
        var g = new Generator(3);
        var offY = new double[n];
        var offX = new double[n];
        double[] special = [0, 1, -1, 0.5, -2, 3, 6, -7.25, 1e9, double.NaN, -0.999999, 4.0000001];
        for (int i = 0; i < n; i++)
        {
            offY[i] = i < special.Length ? special[i] : g.NextDouble() * 12 - 6;
            offX[i] = i < special.Length ? special[(i + 5) % special.Length] : g.NextDouble() * 12 - 6;
        }
        Check<double>(offY, offX, n, h, w);
        Check<float>([.. offY.Select(v => (float)v)], [.. offX.Select(v => (float)v)], n, h, w);
    }

    private static unsafe void Check<T>(T[] offY, T[] offX, int n, int h, int w) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var table = CornerTable<T>.Rent(n);
        fixed (T* py = offY, px = offX)
            table.FillRow(py, px, 1, -1, 2, h, w);
        for (int i = 0; i < n; i++)
        {
            var e = Corners<T>.Bilinear(1 + double.CreateTruncating(offY[i]), -1 + 2.0 * i + double.CreateTruncating(offX[i]), h, w);
            var a = table.Get(i);
            Assert.True(e.Inside == a.Inside, $"{typeof(T).Name} position {i}: inside {a.Inside}, expected {e.Inside}");
            if (e.Inside == 0) continue;
            Assert.Equal((e.P00, e.P01, e.P10, e.P11, e.W00, e.W01, e.W10, e.W11), (a.P00, a.P01, a.P10, a.P11, a.W00, a.W01, a.W10, a.W11));
            Assert.Equal((e.Ly, e.Lx), (a.Ly, a.Lx));
        }
    }
}
