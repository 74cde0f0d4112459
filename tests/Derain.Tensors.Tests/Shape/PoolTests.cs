using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class PoolTests
{
    public static TheoryData<int[], int[], int[], int[], bool, bool> AvgConfigs => new()
    {
        // input, kernel, stride, padding, ceil, count_include_pad
        { [1, 2, 4, 4], [2, 2], [2, 2], [0, 0], false, true },
        { [1, 1, 5, 6], [3, 3], [2, 2], [1, 1], false, true },
        { [1, 1, 5, 6], [3, 3], [2, 2], [1, 1], false, false },
        { [1, 1, 6, 5], [3, 2], [2, 2], [1, 1], true, true },
        { [1, 1, 6, 5], [3, 2], [2, 2], [1, 0], true, false },
        { [2, 5, 5], [2, 3], [1, 2], [0, 1], true, false },
    };

    [Theory]
    [MemberData(nameof(AvgConfigs))]
    public void AvgPool2d_gradients(int[] shape, int[] k, int[] s, int[] p, bool ceil, bool includePad)
    {
        var x = GradCheck.Randn(20, shape);
        GradCheck.Check(t => Ops.AvgPool2d(t[0], k, s, p, ceil, includePad), [x]);
    }

    [Fact]
    public void AvgPool2d_divisor_override_gradient()
    {
        var x = GradCheck.Randn(21, 1, 2, 4, 5);
        GradCheck.Check(t => Ops.AvgPool2d(t[0], [2, 3], [2, 1], [1, 1], divisorOverride: 4), [x]);
    }

    public static TheoryData<int[], int[], int[], int[], int[], bool> MaxConfigs => new()
    {
        // input, kernel, stride, padding, dilation, ceil
        { [1, 2, 4, 4], [2, 2], [2, 2], [0, 0], [1, 1], false },
        { [1, 1, 5, 6], [3, 3], [2, 2], [1, 1], [1, 1], false },
        { [1, 1, 7, 6], [3, 2], [2, 1], [1, 1], [2, 2], false },
        { [1, 1, 6, 7], [3, 3], [2, 2], [1, 0], [1, 1], true },
        { [1, 1, 7, 8], [2, 3], [3, 2], [1, 1], [2, 1], true },
        { [2, 5, 5], [3, 3], [1, 1], [1, 1], [1, 1], false },
    };

    [Theory]
    [MemberData(nameof(MaxConfigs))]
    public void MaxPool2d_gradients(int[] shape, int[] k, int[] s, int[] p, int[] d, bool ceil)
    {
        // Values spread apart (a shuffled arange) so no window has a near-tie that ±eps could flip.
        var n = shape.Aggregate(1, (a, b) => a * b);
        var g = new Generator(22);
        var vals = Enumerable.Range(0, n).Select(i => (double)i).OrderBy(_ => g.NextDouble()).Select(v => v * 0.01).ToArray();
        var x = Tensor.FromArray(vals, shape);
        GradCheck.Check(t => Ops.MaxPool2d(t[0], k, s, p, d, ceil), [x]);
    }

    [Fact]
    public void MaxPool2d_takes_the_first_maximum_and_never_the_padding()
    {
        var x = Tensor.FromArray([-5f, -5, -5, -5], 1, 1, 2, 2);
        var (y, idx) = Ops.MaxPool2dWithIndices(x, [2, 2], [1, 1], [1, 1]);
        Assert.Equal(new Shape(1, 1, 3, 3), y.Shape);
        Assert.All(y.ToArray(), v => Assert.Equal(-5f, v));
        // Every window holds at least one input element and all are equal: the first one in row-major order wins.
        Assert.Equal([0, 0, 1, 0, 0, 1, 2, 2, 3], idx.ToArray());
        x.RequiresGrad = true;
        var (y2, _) = Ops.MaxPool2dWithIndices(x, [2, 2], [1, 1], [1, 1]);
        y2.Backward(Tensor.Ones(y2.Shape));
        Assert.Equal([4f, 2, 2, 1], x.Grad!.ToArray());
    }

    public static TheoryData<int[], int[], int[], int[], int[], bool> RecomputeConfigs => new()
    {
        // input, kernel, stride, padding, dilation, ceil — MGID's 2×2/2 (the disjoint-window fast path; odd sizes leave
        // a last row and column outside every window) and the edge cases above
        { [3, 4, 8, 6], [2, 2], [2, 2], [0, 0], [1, 1], false },
        { [2, 3, 7, 5], [2, 2], [2, 2], [0, 0], [1, 1], false },
        { [2, 3, 6, 71], [2, 2], [2, 2], [0, 0], [1, 1], false }, // rows of 35 outputs: two 16-wide vector blocks and a tail
        { [1, 2, 5, 6], [3, 3], [2, 2], [1, 1], [1, 1], false },
        { [1, 1, 7, 6], [3, 2], [2, 1], [1, 1], [2, 2], false },
        { [1, 1, 6, 7], [3, 3], [2, 2], [1, 0], [1, 1], true },
        { [1, 1, 7, 8], [2, 3], [3, 2], [1, 1], [2, 1], true },
        { [2, 5, 5], [3, 3], [1, 1], [1, 1], [1, 1], false },
    };

    /// <summary>
    /// The recorded MaxPool2d recomputes each window's argmax in backward instead of storing indices; its input
    /// gradient must equal, element for element, the stored-index backward of <see cref="Ops.MaxPool2dWithIndices"/>
    /// (PyTorch's scheme) — on inputs full of ties (values from a 3-level grid, so most windows hold equal maxima,
    /// and −0 beside +0), NaNs and −∞, in float64 and float32, with overlapping windows, padding, dilation and ceil mode.
    /// </summary>
    [Theory]
    [MemberData(nameof(RecomputeConfigs))]
    public void MaxPool2d_recomputed_backward_equals_the_stored_index_backward(int[] shape, int[] k, int[] s, int[] p, int[] d, bool ceil)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var g = new Generator(23);
            var vals = new double[n];
            for (int i = 0; i < n; i++)
            {
                double u = g.NextDouble();
                vals[i] = u < 0.03 ? double.NaN : u < 0.06 ? double.NegativeInfinity : u < 0.15 ? -0.0 : Math.Floor(g.NextDouble() * 3);
            }
            var gy = Tensor.Randn(new Shape(Ops.MaxPool2d(Tensor.FromArray(vals, shape), k, s, p, d, ceil).Shape.ToArray()), new Generator(24), dtype: dtype);

            var a = Tensor.FromArray(vals, shape).To(dtype);
            a.RequiresGrad = true;
            var ya = Ops.MaxPool2d(a, k, s, p, d, ceil);
            ya.Backward(gy);

            var b = Tensor.FromArray(vals, shape).To(dtype);
            b.RequiresGrad = true;
            var (yb, _) = Ops.MaxPool2dWithIndices(b, k, s, p, d, ceil);
            yb.Backward(gy);

            // Bit for bit: the sign of a zero maximum and the NaN that won are the same as well.
            Assert.Equal(yb.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits), ya.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(b.Grad!.ToDoubleArray(), a.Grad!.ToDoubleArray());
            // Not vacuous: gradient reached the input.
            Assert.Contains(a.Grad!.ToDoubleArray(), v => v != 0);
        }
    }

    [Fact]
    public void AvgPool2d_ceil_mode_divisor_counts_the_window_clipped_to_the_padded_image()
    {
        // 3×3 input, kernel 2, stride 2, ceil: the last window covers one row/column of input only.
        var x = Tensor.Ones(new Shape(1, 1, 3, 3));
        Assert.Equal([1f, 1, 1, 1], Ops.AvgPool2d(x, 2, ceilMode: true).ToArray());
        // With padding 1 and count_include_pad the corner window counts its padding: 1 input of 4 cells.
        Assert.Equal([0.25f, 0.5f, 0.5f, 1], Ops.AvgPool2d(x, 2, 2, 1).ToArray());
        Assert.Equal([1f, 1, 1, 1], Ops.AvgPool2d(x, 2, 2, 1, countIncludePad: false).ToArray());
    }

    [Fact]
    public void Large_pooling_uses_every_plane()
    {
        var x = Tensor.Randn(new Shape(4, 64, 32, 32), new Generator(8));
        var y = Ops.MaxPool2d(x, 2);
        var a = Ops.AvgPool2d(x, 2);
        var xv = x.ToArray();
        var yv = y.ToArray();
        var av = a.ToArray();
        for (int p = 0; p < 4 * 64; p++)
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 16; j++)
                {
                    int b = p * 1024 + 2 * i * 32 + 2 * j;
                    float[] w = [xv[b], xv[b + 1], xv[b + 32], xv[b + 33]];
                    Assert.Equal(w.Max(), yv[p * 256 + i * 16 + j]);
                    Assert.True(Math.Abs((double)w.Sum() / 4 - av[p * 256 + i * 16 + j]) < 1e-6);
                }
    }

    [Fact]
    public void Errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(1, 1, 3, 3));
        var e = Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(x, 2, padding: 2));
        Assert.Contains("MaxPool2d", e.Message);
        Assert.Contains("[1, 1, 3, 3]", e.Message);
        Assert.Contains("half the kernel", e.Message);
        var small = Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(x, 4));
        Assert.Contains("AvgPool2d", small.Message);
        Assert.Contains("too small", small.Message);
        Assert.Contains("AvgPool2d", Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(new Shape(3, 3)), 2)).Message);
        Assert.Contains("MaxPool2d", Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(x, [2, 2], [0, 1])).Message);
    }
}
