using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Sampling;

/// <summary>Ops.FlowWarpClamped: EEVRSR's clamped-corner bilinear warp.</summary>
public class FlowWarpTests
{
    [Fact]
    public void Gradients_match_finite_differences_including_samples_outside_the_image()
    {
        // Flows of ±0.1 units at scale 64 move samples up to ±6.4 px: many fall outside the 5×7 image.
        var image = GradCheck.Randn(11, 2, 3, 5, 7);
        var flow = GradCheck.Rand(12, -0.1, 0.1, 2, 2, 5, 7);
        GradCheck.Check(t => Ops.FlowWarpClamped(t[0], t[1], 64), [image, flow]);
    }

    [Fact]
    public void Inside_the_image_it_is_bilinear_sampling_at_pixel_centres()
    {
        // Independent reference: grid_sample with align_corners (pixel centres at ±1) samples the same points
        // bilinearly; while every X stays in [0, W−1) and Y in [0, H−1) the clamp never acts.
        const int h = 6, w = 8;
        var image = GradCheck.Randn(21, 1, 2, h, w);
        var flowData = new double[2 * h * w];
        var grid = new double[h * w * 2];
        var rng = new Random(5);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double px = Math.Clamp(x + rng.NextDouble() * 3 - 1.5, 0, w - 1.001), py = Math.Clamp(y + rng.NextDouble() * 3 - 1.5, 0, h - 1.001);
                flowData[y * w + x] = (px - x) / 64;
                flowData[h * w + y * w + x] = (py - y) / 64;
                grid[(y * w + x) * 2] = px / (w - 1) * 2 - 1;
                grid[(y * w + x) * 2 + 1] = py / (h - 1) * 2 - 1;
            }
        using var flow = Tensor.FromArray(flowData, 1, 2, h, w);
        using var g = Tensor.FromArray(grid, 1, h, w, 2);
        var expected = Ops.GridSample(image, g, GridSampleMode.Bilinear, GridSamplePadding.Zeros, alignCorners: true).Span<double>().ToArray();
        var actual = Ops.FlowWarpClamped(image, flow, 64).Span<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    [Fact]
    public void Samples_left_of_the_image_fade_to_zero_as_the_official_sampler_does()
    {
        // X = −0.5: x0 = −1 and x1 = 0 both clamp to 0, weights (0 − X) and (X − 0) cancel: the sample is 0, not the edge pixel.
        using var image = Tensor.FromArray(new double[] { 3, 5, 7, 9 }, 1, 1, 1, 4);
        using var flow = Tensor.FromArray(new double[] { -0.5, -0.5, -0.5, -0.5, 0, 0, 0, 0 }, 1, 2, 1, 4);
        var y = Ops.FlowWarpClamped(image, flow, 1).Span<double>().ToArray();
        // Row of height 1: y0 = y1 = 0 after clamping and (y1 − Y) = 0, (Y − y0) = 0, so even inside the row the weights vanish.
        Assert.All(y, v => Assert.Equal(0, v, 1e-15));

        using var tall = Tensor.FromArray(new double[] { 3, 5, 7, 9, 4, 6, 8, 10 }, 1, 1, 2, 4);
        using var shift = Tensor.FromArray(new double[] { -0.5, 0.5, 0, 3.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 1, 2, 2, 4);
        var z = Ops.FlowWarpClamped(tall, shift, 1).Span<double>().ToArray();
        Assert.Equal(0, z[0], 1e-15);            // X = −0.5 → 0
        Assert.Equal(6, z[1], 1e-15);            // X = 1.5 → (5 + 7) / 2
        Assert.Equal(7, z[2], 1e-15);            // X = 2 exactly
        // X = 6.25: x0 = 6, x1 = 7 both clamp to 3; weights (3 − 6.25) and (6.25 − 3) cancel → 0.
        Assert.Equal(0, z[3], 1e-15);
        // Bottom row, Y = 1 = H − 1: y0 = 1, y1 = 2 → 1; weights (1 − 1)·… + (1 − 1)·… → 0 — the last row fades too.
        Assert.All(z[4..], v => Assert.Equal(0, v, 1e-15));
    }

    [Fact]
    public void Float32_matches_float64()
    {
        var image = GradCheck.Randn(31, 2, 1, 16, 20);
        var flow = GradCheck.Rand(32, -0.2, 0.2, 2, 2, 16, 20);
        var y64 = Ops.FlowWarpClamped(image, flow, 64).Span<double>().ToArray();
        var y32 = Ops.FlowWarpClamped(Ops.Cast(image, DType.Float32), Ops.Cast(flow, DType.Float32), 64).Span<float>().ToArray();
        for (int i = 0; i < y64.Length; i++) Assert.Equal(y64[i], y32[i], 1e-4);
    }

    [Fact]
    public void Shape_errors_name_both_shapes()
    {
        using var image = Tensor.Zeros(new Shape(1, 1, 4, 4));
        using var flow = Tensor.Zeros(new Shape(1, 2, 4, 5));
        var e = Assert.Throws<ArgumentException>(() => Ops.FlowWarpClamped(image, flow));
        Assert.Contains("[1, 2, 4, 5]", e.Message);
    }
}
