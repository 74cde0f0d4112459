using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Sampling;

public class GridSampleTests
{
    public static TheoryData<GridSampleMode, GridSamplePadding, bool> AllVariants()
    {
        var d = new TheoryData<GridSampleMode, GridSamplePadding, bool>();
        foreach (var m in new[] { GridSampleMode.Bilinear, GridSampleMode.Nearest })
            foreach (var p in new[] { GridSamplePadding.Zeros, GridSamplePadding.Border })
                foreach (var a in new[] { true, false })
                    d.Add(m, p, a);
        return d;
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public void Gradients_match_finite_differences(GridSampleMode mode, GridSamplePadding padding, bool align)
    {
        // Grid points in about [−2, size + 1] pixels: many outside the 4×5 image (zeros) or clamped (border).
        var x = GradCheck.Randn(1, 2, 3, 4, 5);
        var grid = SamplingInputs.Grid(2, 2, 3, 4, 4, 5, align);
        GradCheck.Check(t => Ops.GridSample(t[0], t[1], mode, padding, align), [x, grid]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Identity_grid_reproduces_the_input(bool align)
    {
        // The pixel centres in normalised coordinates map back onto the pixels exactly.
        int h = 4, w = 6;
        var x = GradCheck.Randn(3, 1, 2, h, w);
        var grid = Tensor.Zeros(new Shape(1, h, w, 2), DType.Float64);
        var s = grid.Span<double>();
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                s[(i * w + j) * 2] = align ? 2.0 * j / (w - 1) - 1 : (2.0 * j + 1) / w - 1;
                s[(i * w + j) * 2 + 1] = align ? 2.0 * i / (h - 1) - 1 : (2.0 * i + 1) / h - 1;
            }
        var y = Ops.GridSample(x, grid, alignCorners: align);
        Golden.AssertClose(x.ToDoubleArray(), y.ToDoubleArray(), 1e-12, 1e-12, "identity warp");
    }

    [Fact]
    public void Zero_padding_reads_zero_one_pixel_outside_and_border_repeats_the_edge()
    {
        // align_corners: x = −1 − 2/(W − 1) is pixel −1 (fully outside), x = 1 + 1/(W − 1) is halfway past the edge.
        var img = Tensor.FromArray([1.0, 2, 3, 4, 5], 1, 1, 1, 5);
        var grid = Tensor.FromArray([-1.5, 0, 1.25, 0], 1, 1, 2, 2);
        var zeros = Ops.GridSample(img, grid, alignCorners: true).ToDoubleArray();
        var border = Ops.GridSample(img, grid, padding: GridSamplePadding.Border, alignCorners: true).ToDoubleArray();
        Assert.Equal([0, 2.5], zeros);
        Assert.Equal([1, 5], border);
    }

    [Fact]
    public void Shape_errors_name_the_op_and_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.GridSample(Tensor.Zeros(new Shape(2, 3, 4, 4)), Tensor.Zeros(new Shape(1, 4, 4, 2))));
        Assert.Contains("GridSample", e.Message);
        Assert.Contains("[1, 4, 4, 2]", e.Message);
    }
}

public class GridSampleLargeTests
{
    private const int H = 130, W = 131;  // 17,030 output pixels: more than one corner-table block (16,384)

    [Theory]
    [InlineData(2)]   // few channels: the input-gradient scatter runs in pixel bands with private accumulators
    [InlineData(40)]  // many channels: one task per channel plane
    public void Input_gradient_is_the_adjoint_of_the_forward(int channels)
    {
        var x = GradCheck.Randn(1, 1, channels, 9, 11);
        var grid = GradCheck.Rand(2, -1.2, 1.2, 1, H, W, 2);
        var r = GradCheck.Randn(3, 1, channels, H, W);
        x.RequiresGrad = true;
        var y = Ops.GridSample(x, grid, alignCorners: true);
        y.Backward(r);
        // <A x, r> = <x, Aᵀ r>
        double lhs = Dot(y.ToDoubleArray(), r.ToDoubleArray()), rhs = Dot(x.ToDoubleArray(), x.Grad!.ToDoubleArray());
        Assert.True(Math.Abs(lhs - rhs) <= 1e-10 * Math.Abs(lhs), $"<Ax, r> = {lhs}, <x, Aᵀr> = {rhs}");
    }

    [Fact]
    public void Every_block_samples_and_differentiates_its_own_pixels()
    {
        // The last rows of the large grid (in the second block) must give the same output and grid gradient as
        // a small grid holding only those rows.
        const int rows = 4;
        var x = GradCheck.Randn(4, 1, 3, 9, 11);
        var grid = GradCheck.Rand(5, -1.2, 1.2, 1, H, W, 2).RequireGrad();
        var r = GradCheck.Randn(6, 1, 3, H, W);
        var y = Ops.GridSample(x, grid, padding: GridSamplePadding.Border);
        y.Backward(r);
        var tail = Tensor.FromArray(grid.ToDoubleArray()[^(rows * W * 2)..], 1, rows, W, 2).RequireGrad();
        var rt = r.ToDoubleArray();
        var rTail = new double[3 * rows * W];
        for (int c = 0; c < 3; c++) Array.Copy(rt, (c * H + H - rows) * W, rTail, c * rows * W, rows * W);
        var yTail = Ops.GridSample(x, tail, padding: GridSamplePadding.Border);
        yTail.Backward(Tensor.FromArray(rTail, 1, 3, rows, W));
        var yAll = y.ToDoubleArray();
        var yt = yTail.ToDoubleArray();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < rows * W; i++)
                Assert.Equal(yt[c * rows * W + i], yAll[(c * H + H - rows) * W + i], 12);
        Golden.AssertClose(tail.Grad!.ToDoubleArray(), grid.Grad!.ToDoubleArray()[^(rows * W * 2)..], 1e-12, 1e-12, "grid gradient of the last rows");
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
