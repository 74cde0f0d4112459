using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>
/// Channels-last activations (<see cref="ActivationLayout.ChannelsLast"/>): the oneDNN convolution with either side
/// NHWC (its NHWC kernels, with the other side planar, blocked or NHWC) against float64 loops
/// (<see cref="NaiveConv"/>), channels-last PReLU against the planar op's definition (with a pixel count that leaves a
/// partial vector pattern and more than one parallel task), and the float64 paths by finite differences.
/// </summary>
public class ChannelsLastTests
{
    private static Tensor R(ulong seed, params int[] shape) => GradCheck.Randn(seed, shape);

    [Fact]
    public void ToChannelsLast_puts_channel_c_of_pixel_p_at_p_times_C_plus_c_and_back()
    {
        var x = Tensor.Randn(new Shape(2, 5, 3, 4), new Generator(1));
        using var cl = Ops.ToChannelsLast(x);
        Assert.Equal(new Shape(2, 3, 4, 5), cl.Shape);
        var xs = x.ToArray();
        var ys = cl.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 5; c++)
                for (int p = 0; p < 12; p++)
                    Assert.Equal(xs[(n * 5 + c) * 12 + p], ys[(n * 12 + p) * 5 + c]);
        using var back = Ops.FromChannelsLast(cl);
        Assert.Equal(xs, back.ToArray());
    }

    /// <summary>(N, Cin, Cout, k, stride, size) with TF 'SAME' padding, as the EEVRSR flow stages use them.</summary>
    public static TheoryData<int, int, int, int, int, int> ConvShapes => new()
    {
        { 2, 24, 24, 3, 1, 8 },
        { 2, 24, 24, 5, 2, 11 },
        { 3, 24, 8, 3, 1, 9 },
        { 2, 24, 32, 3, 1, 6 },
        { 2, 5, 24, 7, 2, 12 },
    };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Channels_last_convolution_on_oneDNN_matches_float64_reference_in_every_layout_pair(int n, int cin, int cout, int k, int stride, int size)
    {
        const ActivationLayout P = ActivationLayout.Planar, B = ActivationLayout.Blocked, L = ActivationLayout.ChannelsLast;
        LayoutConvReference.Check(n, cin, cout, k, stride, size, [(L, L), (P, L), (B, L), (L, P), (L, B)]);
    }

    [Fact]
    public void Channels_last_convolutions_in_float64_pass_finite_differences()
    {
        GradCheck.Check(t => Ops.FromChannelsLast(Ops.Conv2d(Ops.ToChannelsLast(t[0]), t[1], t[2], 2, ConvPadding.Same, ActivationLayout.ChannelsLast, ActivationLayout.ChannelsLast)),
            [R(3, 1, 4, 5, 6), R(4, 3, 4, 3, 3), R(5, 3)]);
        GradCheck.Check(t => Ops.Conv2d(Ops.ToChannelBlocks(t[0]), t[1], null, 1, ConvPadding.Same, ActivationLayout.Blocked, ActivationLayout.ChannelsLast),
            [R(6, 1, 17, 4, 3), R(7, 2, 17, 3, 3)]);
    }

    [Theory]
    [InlineData(2, 50, 45, 24)] // 4,500 pixels: two tasks of 256 sixteen-pixel groups and a 4-pixel tail
    [InlineData(1, 3, 7, 5)]    // 21 pixels, 5 channels: one pattern and a tail
    public void PReluChannelsLast_matches_the_definition_and_its_gradients(int n, int h, int w, int channels)
    {
        var x = Tensor.Randn(new Shape(n, h, w, channels), new Generator(7));
        var alpha = Tensor.FromArray(Enumerable.Range(0, channels).Select(c => 0.1f * (c - 7)).ToArray(), channels).RequireGrad();
        var g = Tensor.Randn(new Shape(n, h, w, channels), new Generator(8));
        using var xl = x.Detach().RequireGrad();
        var y = Ops.PReluChannelsLast(xl, alpha);
        y.Backward(g);
        var xs = x.ToArray();
        var gs = g.ToArray();
        var a = alpha.ToArray();
        var yRef = new double[xs.Length];
        var dxRef = new double[xs.Length];
        var daRef = new double[channels];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i % channels;
            yRef[i] = xs[i] > 0 ? xs[i] : (double)a[c] * xs[i];
            dxRef[i] = xs[i] > 0 ? gs[i] : (double)a[c] * gs[i];
            if (xs[i] <= 0) daRef[c] += (double)xs[i] * gs[i];
        }
        AssertClose(yRef, y.ToArray(), 1e-6, "forward");
        AssertClose(dxRef, xl.Grad!.ToArray(), 1e-6, "dx");
        AssertClose(daRef, alpha.Grad!.ToArray(), 1e-5, "dalpha");
    }

    [Fact]
    public void PReluChannelsLast_in_float64_passes_finite_differences()
        => GradCheck.Check(t => Ops.PReluChannelsLast(Ops.ToChannelsLast(t[0]), t[1]), [R(9, 2, 19, 2, 3), R(10, 19)]);

    [Fact]
    public void Channels_last_inputs_of_the_wrong_shape_are_rejected_with_the_expected_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.PReluChannelsLast(Tensor.Zeros(new Shape(1, 3, 3, 16)), Tensor.Zeros(new Shape(24))));
        Assert.Contains("[N, H, W, C]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(new Shape(1, 24, 8, 8)), Tensor.Zeros(new Shape(4, 24, 3, 3)), null, 1,
            ConvPadding.Same, ActivationLayout.ChannelsLast, ActivationLayout.ChannelsLast));
        Assert.Contains("[N, H, W, 24]", e.Message);
    }
}
