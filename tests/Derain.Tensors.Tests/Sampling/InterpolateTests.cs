using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Sampling;

public class InterpolateTests
{
    public static TheoryData<InterpolateMode, bool, int, int> SizeVariants()
    {
        var d = new TheoryData<InterpolateMode, bool, int, int>();
        foreach (var m in new[] { InterpolateMode.Bilinear, InterpolateMode.Bicubic })
            foreach (var a in new[] { true, false })
            {
                d.Add(m, a, 9, 7);   // up (tall: horizontal pass first)
                d.Add(m, a, 2, 11);  // down in H, up in W (vertical pass first)
                d.Add(m, a, 1, 1);   // a single output pixel
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(SizeVariants))]
    public void Gradients_by_size_match_finite_differences(InterpolateMode mode, bool align, int h, int w)
    {
        var x = GradCheck.Randn(1, 2, 2, 4, 5);
        GradCheck.Check(t => Ops.Interpolate(t[0], h, w, mode, align), [x]);
    }

    [Theory]
    [InlineData(InterpolateMode.Bilinear, 0.5, false)]
    [InlineData(InterpolateMode.Bicubic, 0.6, true)]
    [InlineData(InterpolateMode.Bicubic, 2.5, false)]
    public void Gradients_by_scale_match_finite_differences(InterpolateMode mode, double scale, bool recompute)
    {
        var x = GradCheck.Randn(2, 1, 2, 5, 7);
        GradCheck.Check(t => Ops.InterpolateScale(t[0], scale, mode, alignCorners: false, recomputeScaleFactor: recompute), [x]);
    }

    [Fact]
    public void Align_corners_bilinear_interpolates_between_the_end_pixels()
    {
        var x = Tensor.FromArray([0.0, 1, 4], 1, 1, 1, 3);
        var y = Ops.Interpolate(x, 1, 5, InterpolateMode.Bilinear, alignCorners: true);
        Assert.Equal([0, 0.5, 1, 2.5, 4], y.ToDoubleArray());
    }

    [Fact]
    public void Scale_factor_maps_coordinates_with_the_given_scale_unless_recomputed()
    {
        // PyTorch 1.13: 7 px at scale 0.5 gives floor(3.5) = 3 px; the source step is 1/0.5 = 2 (sources at
        // 0.5, 2.5, 4.5), while recompute_scale_factor steps by 7/3 (sources at 2/3, 3, 16/3).
        var x = Tensor.FromArray([0.0, 1, 2, 3, 4, 5, 6], 1, 1, 1, 7);
        var kept = Ops.InterpolateScale(x, 1, 0.5, InterpolateMode.Bilinear).ToDoubleArray();
        Assert.Equal([0.5, 2.5, 4.5], kept);
        var recomputed = Ops.InterpolateScale(x, 1, 0.5, InterpolateMode.Bilinear, recomputeScaleFactor: true).ToDoubleArray();
        Golden.AssertClose([2.0 / 3, 3, 16.0 / 3], recomputed, 1e-12, 1e-12, "recomputed scale");
    }

    [Fact]
    public void Same_size_without_align_corners_is_the_identity()
    {
        var x = GradCheck.Randn(5, 2, 3, 4, 6);
        foreach (var mode in new[] { InterpolateMode.Bilinear, InterpolateMode.Bicubic })
            Golden.AssertClose(x.ToDoubleArray(), Ops.Interpolate(x, 4, 6, mode).ToDoubleArray(), 1e-15, 1e-15, mode.ToString());
    }

    [Fact]
    public void Errors_name_the_op()
    {
        var x = Tensor.Zeros(new Shape(1, 1, 4, 4));
        Assert.Contains("Interpolate", Assert.Throws<ArgumentException>(() => Ops.Interpolate(x, 0, 3)).Message);
        Assert.Contains("InterpolateScale", Assert.Throws<ArgumentException>(() => Ops.InterpolateScale(x, -2)).Message);
        Assert.Contains("InterpolateScale", Assert.Throws<ArgumentException>(() => Ops.InterpolateScale(Tensor.Zeros(new Shape(4, 4)), 2)).Message);
    }
}
