using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>Float64 finite-difference checks of every convolution variant's gradients (input, weight, bias).</summary>
public class ConvGradTests
{
    private static Tensor R(ulong seed, params int[] shape) => GradCheck.Randn(seed, shape);

    [Fact]
    public void Conv2d_with_bias_and_padding()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], padding: 1), [R(1, 2, 3, 5, 4), R(2, 4, 3, 3, 3), R(3, 4)]);

    [Fact]
    public void Conv2d_stride_2_without_bias()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], stride: 2), [R(4, 1, 2, 7, 6), R(5, 3, 2, 3, 2)]);

    [Fact]
    public void Conv2d_dilation_2()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], padding: 2, dilation: 2), [R(6, 1, 2, 6, 6), R(7, 2, 2, 3, 3), R(8, 2)]);

    [Fact]
    public void Conv2d_groups()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], padding: 1, groups: 2), [R(9, 2, 4, 4, 4), R(10, 6, 2, 3, 3), R(11, 6)]);

    [Fact]
    public void Conv2d_depthwise_stride_2()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, groups: 3), [R(12, 1, 3, 5, 5), R(13, 3, 1, 3, 3), R(14, 3)]);

    [Fact]
    public void Conv2d_asymmetric_padding_and_per_dimension_stride()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], [2, 1], ConvPadding.PerSide([0, 2], [1, 0]), [1, 2]),
            [R(15, 1, 2, 6, 5), R(16, 2, 2, 2, 3), R(17, 2)]);

    [Fact]
    public void Conv2d_same_padding_stride_2()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], stride: 2, padding: ConvPadding.Same), [R(18, 1, 2, 6, 7), R(19, 3, 2, 4, 3), R(20, 3)]);

    [Fact]
    public void Conv2d_pointwise()
        => GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2]), [R(21, 2, 3, 3, 4), R(22, 5, 3, 1, 1), R(23, 5)]);

    [Fact]
    public void Conv1d_stride_dilation_same()
        => GradCheck.Check(t => Ops.Conv1d(t[0], t[1], t[2], stride: 2, padding: ConvPadding.Same, dilation: 2), [R(24, 2, 2, 9), R(25, 3, 2, 3), R(26, 3)]);

    [Fact]
    public void Conv3d_stride_padding_groups()
        => GradCheck.Check(t => Ops.Conv3d(t[0], t[1], t[2], [1, 2, 1], ConvPadding.PerSide([1, 0, 1], [0, 1, 1]), [1, 1, 2], groups: 2),
            [R(27, 1, 4, 3, 4, 4), R(28, 2, 2, 2, 2, 2), R(29, 2)]);

    [Fact]
    public void ConvTranspose2d_stride_padding_output_padding()
        => GradCheck.Check(t => Ops.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1),
            [R(30, 2, 3, 3, 4), R(31, 3, 2, 3, 3), R(32, 2)]);

    [Fact]
    public void ConvTranspose2d_groups_dilation_without_bias()
        => GradCheck.Check(t => Ops.ConvTranspose2d(t[0], t[1], null, stride: 1, padding: 1, groups: 2, dilation: 2),
            [R(33, 1, 4, 3, 3), R(34, 4, 1, 2, 3)]);

    [Fact]
    public void ConvTranspose2d_output_padding_at_least_stride()
        // stride 1, dilation 3, output padding 2: the adjoint convolution's geometry has to be cut to the input size.
        => GradCheck.Check(t => Ops.ConvTranspose2d(t[0], t[1], t[2], stride: 1, padding: 0, outputPadding: 2, dilation: 3),
            [R(35, 1, 2, 3, 3), R(36, 2, 2, 2, 2), R(37, 2)]);

    [Fact]
    public void ConvTranspose2d_per_dimension_settings()
        => GradCheck.Check(t => Ops.ConvTranspose2d(t[0], t[1], t[2], [2, 3], [0, 1], [1, 0], 1, [1, 1]),
            [R(38, 1, 2, 3, 2), R(39, 2, 3, 2, 3), R(40, 3)]);

    [Fact]
    public void ConvTranspose1d_and_3d()
    {
        GradCheck.Check(t => Ops.ConvTranspose1d(t[0], t[1], t[2], stride: 3, padding: 1, outputPadding: 2), [R(41, 2, 2, 4), R(42, 2, 3, 3), R(43, 3)]);
        GradCheck.Check(t => Ops.ConvTranspose3d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1), [R(44, 1, 2, 2, 3, 2), R(45, 2, 2, 3, 3, 3), R(46, 2)]);
    }
}
