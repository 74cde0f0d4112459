using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>
/// Channel-blocked activations (<see cref="ActivationLayout.Blocked"/>): the layout itself against its index formula,
/// the oneDNN convolution on blocked inputs/outputs against float64 loops (<see cref="NaiveConv"/>), blocked PReLU
/// against the planar op's definition, and the float64 (managed) path by finite differences.
/// </summary>
public class ChannelBlocksTests
{
    private static Tensor R(ulong seed, params int[] shape) => GradCheck.Randn(seed, shape);

    [Fact]
    public void ToChannelBlocks_places_channel_c_at_block_c_over_16_lane_c_mod_16_and_zeroes_padding()
    {
        var x = Tensor.Randn(new Shape(2, 21, 3, 4), new Generator(1));
        using var b = Ops.ToChannelBlocks(x);
        Assert.Equal(new Shape(2, 2, 3, 4, 16), b.Shape);
        var xs = x.ToArray();
        var bs = b.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 32; c++)
                for (int p = 0; p < 12; p++)
                {
                    float expected = c < 21 ? xs[(n * 21 + c) * 12 + p] : 0f;
                    Assert.Equal(expected, bs[((n * 2 + c / 16) * 12 + p) * 16 + c % 16]);
                }
        using var back = Ops.FromChannelBlocks(b, 21);
        Assert.Equal(xs, back.ToArray());
    }

    [Fact]
    public void Layout_conversions_have_each_other_as_gradient()
    {
        GradCheck.Check(t => Ops.ToChannelBlocks(t[0]), [R(1, 1, 5, 3, 2)]);
        GradCheck.Check(t => Ops.FromChannelBlocks(t[0], 18), [R(2, 1, 2, 2, 3, 16)]);
    }

    /// <summary>(N, Cin, Cout, k, stride, size) with TF 'SAME' padding, as the EEVRSR flow stages use them.</summary>
    public static TheoryData<int, int, int, int, int, int> ConvShapes => new()
    {
        { 2, 5, 24, 5, 2, 12 },
        { 2, 24, 24, 3, 1, 8 },
        { 3, 24, 20, 7, 2, 9 },
        { 2, 24, 32, 3, 1, 6 },
        { 2, 40, 8, 3, 1, 7 },
    };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Blocked_convolution_on_oneDNN_matches_float64_reference_in_every_layout_pair(int n, int cin, int cout, int k, int stride, int size)
        => LayoutConvReference.Check(n, cin, cout, k, stride, size,
            [(ActivationLayout.Blocked, ActivationLayout.Blocked), (ActivationLayout.Planar, ActivationLayout.Blocked), (ActivationLayout.Blocked, ActivationLayout.Planar)]);

    [Fact]
    public void Blocked_convolution_in_float64_runs_the_planar_op_between_conversions()
        => GradCheck.Check(t => Ops.Conv2d(Ops.ToChannelBlocks(t[0]), t[1], t[2], 2, ConvPadding.Same, ActivationLayout.Blocked, ActivationLayout.Planar),
            [R(3, 1, 18, 5, 6), R(4, 3, 18, 3, 3), R(5, 3)]);

    [Fact]
    public void Blocked_output_convolutions_in_float64_pass_finite_differences()
    {
        GradCheck.Check(t => Ops.FromChannelBlocks(Ops.Conv2d(t[0], t[1], t[2], 1, ConvPadding.Same, ActivationLayout.Planar, ActivationLayout.Blocked), 3),
            [R(6, 2, 2, 5, 4), R(7, 3, 2, 3, 3), R(8, 3)]);
        GradCheck.Check(t => Ops.FromChannelBlocks(Ops.Conv2d(Ops.ToChannelBlocks(t[0]), t[1], null, 2, ConvPadding.Same, ActivationLayout.Blocked, ActivationLayout.Blocked), 17),
            [R(11, 1, 3, 5, 5), R(12, 17, 3, 3, 3)]);
    }

    [Fact]
    public void PReluBlocked_matches_the_definition_and_its_gradients()
    {
        // 20 channels: one full block and one with 12 padding lanes; mixed signs, weights of both signs.
        var x = Tensor.Randn(new Shape(2, 20, 3, 5), new Generator(7));
        var alpha = Tensor.FromArray(Enumerable.Range(0, 20).Select(c => 0.1f * (c - 7)).ToArray(), 20).RequireGrad();
        var g = Tensor.Randn(new Shape(2, 20, 3, 5), new Generator(8));
        using var xb = Ops.ToChannelBlocks(x).RequireGrad();
        var y = Ops.PReluBlocked(xb, alpha);
        AssertPaddingLanesZero(y, 20, "output");
        using var gb = Ops.ToChannelBlocks(g);
        y.Backward(gb);
        AssertPaddingLanesZero(xb.Grad!, 20, "dx");
        var xs = x.ToArray();
        var gs = g.ToArray();
        var a = alpha.ToArray();
        var yRef = new double[xs.Length];
        var dxRef = new double[xs.Length];
        var daRef = new double[20];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 15 % 20;
            yRef[i] = xs[i] > 0 ? xs[i] : (double)a[c] * xs[i];
            dxRef[i] = xs[i] > 0 ? gs[i] : (double)a[c] * gs[i];
            if (xs[i] <= 0) daRef[c] += (double)xs[i] * gs[i];
        }
        using (GradMode.NoGrad())
        {
            using var yp = Ops.FromChannelBlocks(y, 20);
            using var dxp = Ops.FromChannelBlocks(xb.Grad!, 20);
            AssertClose(yRef, yp.ToArray(), 1e-6, "forward");
            AssertClose(dxRef, dxp.ToArray(), 1e-6, "dx");
        }
        AssertClose(daRef, alpha.Grad!.ToArray(), 1e-5, "dalpha");
    }

    [Fact]
    public void PReluBlocked_in_float64_passes_finite_differences()
        => GradCheck.Check(t => Ops.PReluBlocked(Ops.ToChannelBlocks(t[0]), t[1]), [R(9, 2, 19, 2, 3), R(10, 19)]);

    [Fact]
    public void Blocked_inputs_of_the_wrong_shape_are_rejected_with_the_expected_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.PReluBlocked(Tensor.Zeros(new Shape(1, 2, 3, 3, 16)), Tensor.Zeros(new Shape(40))));
        Assert.Contains("[N, 3, H, W, 16]", e.Message);
    }

    internal static void AssertPaddingLanesZero(Tensor blocked, int channels, string what)
    {
        var v = blocked.ToArray();
        for (int i = 0; i < v.Length; i++)
        {
            int block = i / 16 / (blocked.Shape[2] * blocked.Shape[3]) % blocked.Shape[1];
            if (block * 16 + i % 16 >= channels && v[i] != 0) Assert.Fail($"{what}: padding lane {i % 16} of block {block} holds {v[i]}.");
        }
    }
}
