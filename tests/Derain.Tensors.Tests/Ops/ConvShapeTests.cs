using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>Shapes, padding resolution, partial gradients and error messages of the conv / linear / matmul ops.</summary>
public class ConvShapeTests
{
    private static Tensor R(ulong seed, params int[] shape) => GradCheck.Randn(seed, shape);

    [Theory]
    [InlineData(10, 7, 2, 1, 2, 3)]   // k7 s2 on an even size: 2 before, 3 after
    [InlineData(11, 7, 2, 1, 3, 3)]
    [InlineData(8, 3, 1, 1, 1, 1)]
    [InlineData(8, 4, 1, 1, 1, 2)]    // even kernel: the odd element goes at the end
    [InlineData(9, 3, 1, 2, 2, 2)]    // dilation 2 widens the kernel to 5
    [InlineData(9, 1, 3, 1, 0, 0)]
    [InlineData(13, 3, 4, 1, 1, 1)]
    [InlineData(12, 2, 4, 1, 0, 0)]
    public void Same_padding_follows_the_tensorflow_formula(int size, int kernel, int stride, int dilation, int begin, int end)
    {
        var (b, e) = ConvPadding.Same.Resolve("Conv1d", [size], [kernel], [stride], [dilation]);
        Assert.Equal([begin], b);
        Assert.Equal([end], e);
        using var y = Ops.Conv1d(R(1, 1, 1, size), R(2, 1, 1, kernel), null, stride, ConvPadding.Same, dilation);
        Assert.Equal((size + stride - 1) / stride, y.Shape[2]);
    }

    [Fact]
    public void Same_padding_equals_the_explicit_per_side_padding()
    {
        var x = R(3, 1, 2, 10, 12);
        var w = R(4, 3, 2, 7, 7);
        using var same = Ops.Conv2d(x, w, null, stride: 2, padding: ConvPadding.Same);
        using var explicitPads = Ops.Conv2d(x, w, null, [2, 2], ConvPadding.PerSide([2, 2], [3, 3]), [1, 1]);
        Assert.Equal(new Shape(1, 3, 5, 6), same.Shape);
        Assert.Equal(explicitPads.ToDoubleArray(), same.ToDoubleArray());
    }

    [Fact]
    public void Int_padding_is_symmetric_padding()
    {
        var x = R(5, 1, 2, 5, 6);
        var w = R(6, 2, 2, 3, 3);
        using var a = Ops.Conv2d(x, w, null, padding: 1);
        using var b = Ops.Conv2d(x, w, null, [1, 1], ConvPadding.PerSide([1, 1], [1, 1]), [1, 1]);
        Assert.Equal(new Shape(1, 2, 5, 6), a.Shape);
        Assert.Equal(b.ToDoubleArray(), a.ToDoubleArray());
        Assert.Equal(ConvPadding.Symmetric(1), (ConvPadding)1);
        Assert.Equal("Valid", default(ConvPadding).ToString());
        Assert.Equal("[0, 2] before, [1, 0] after", ConvPadding.PerSide([0, 2], [1, 0]).ToString());
    }

    [Fact]
    public void Transposed_convolution_output_size_follows_pytorch()
    {
        using var y = Ops.ConvTranspose2d(R(7, 2, 4, 5, 6), R(8, 4, 3, 4, 3), null, [2, 3], [1, 0], [1, 2], 1, [1, 2]);
        // (in − 1)·s − 2p + d(k − 1) + output_padding + 1
        Assert.Equal(new Shape(2, 3, (5 - 1) * 2 - 2 + 1 * 3 + 1 + 1, (6 - 1) * 3 - 0 + 2 * 2 + 2 + 1), y.Shape);
    }

    [Fact]
    public void Only_the_bias_gradient_is_computed_when_only_the_bias_needs_it()
    {
        var x = R(9, 2, 3, 4, 4);
        var w = R(10, 5, 3, 3, 3);
        var b = R(11, 5).RequireGrad();
        var y = Ops.Conv2d(x, w, b, padding: 1);
        var seed = R(12, 2, 5, 4, 4);
        y.Backward(seed);
        Assert.Null(x.Grad);
        Assert.Null(w.Grad);
        var s = seed.ToDoubleArray();
        var expected = Enumerable.Range(0, 5).Select(c =>
            Enumerable.Range(0, 2).Sum(n => s.Skip((n * 5 + c) * 16).Take(16).Sum())).ToArray();
        Golden.AssertClose(expected, b.Grad!.ToDoubleArray(), 1e-12, 1e-12, "db");
    }

    [Fact]
    public void Gradients_flow_only_to_inputs_that_need_them()
    {
        var x = R(13, 3, 4).RequireGrad();
        var w = R(14, 2, 4);
        Ops.Linear(x, w).Backward(Tensor.Ones(new Shape(3, 2), DType.Float64));
        Assert.NotNull(x.Grad);
        Assert.Null(w.Grad);

        var a = R(15, 2, 3);
        var m = R(16, 3, 2).RequireGrad();
        Ops.MatMul(a, m).Backward(Tensor.Ones(new Shape(2, 2), DType.Float64));
        Assert.Null(a.Grad);
        Assert.NotNull(m.Grad);
    }

    [Fact]
    public void MatMul_result_shapes_follow_torch()
    {
        Assert.Equal(new Shape(), Ops.MatMul(R(1, 3), R(2, 3)).Shape);
        Assert.Equal(new Shape(2, 5), Ops.MatMul(R(1, 4), R(2, 2, 4, 5)).Shape);
        Assert.Equal(new Shape(2, 3), Ops.MatMul(R(1, 2, 3, 4), R(2, 4)).Shape);
        Assert.Equal(new Shape(4, 2, 3, 5), Ops.MatMul(R(1, 4, 1, 3, 6), R(2, 2, 6, 5)).Shape);
        Assert.Equal(new Shape(0, 3), Ops.MatMul(R(1, 0, 4), R(2, 4, 3)).Shape);
        var empty = Ops.MatMul(R(1, 2, 0), R(2, 0, 3));
        Assert.Equal(new double[6], empty.ToDoubleArray());
    }

    [Fact]
    public void Wrong_conv_weight_names_the_op_and_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(new Shape(1, 3, 8, 8)), Tensor.Zeros(new Shape(4, 2, 3, 3))));
        AssertNames(e, "Conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]");
        e = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(new Shape(1, 3, 8, 8)), Tensor.Zeros(new Shape(4, 3, 3))));
        AssertNames(e, "Conv2d", "[1, 3, 8, 8]", "[4, 3, 3]");
        e = Assert.Throws<ArgumentException>(() => Ops.Conv3d(Tensor.Zeros(new Shape(1, 4, 2, 8, 8)), Tensor.Zeros(new Shape(6, 2, 3, 3, 3)), groups: 3));
        AssertNames(e, "Conv3d", "[1, 4, 2, 8, 8]", "[6, 2, 3, 3, 3]");
        e = Assert.Throws<ArgumentException>(() => Ops.Conv1d(Tensor.Zeros(new Shape(1, 2, 3)), Tensor.Zeros(new Shape(1, 2, 5))));
        AssertNames(e, "Conv1d", "[1, 2, 3]", "[1, 2, 5]");
        e = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(new Shape(1, 2, 4, 4)), Tensor.Zeros(new Shape(3, 2, 3, 3)), Tensor.Zeros(new Shape(4))));
        AssertNames(e, "Conv2d", "[3, 2, 3, 3]", "[4]");
    }

    [Fact]
    public void Wrong_transposed_conv_weight_names_the_op_and_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.ConvTranspose2d(Tensor.Zeros(new Shape(1, 3, 8, 8)), Tensor.Zeros(new Shape(4, 3, 3, 3))));
        AssertNames(e, "ConvTranspose2d", "[1, 3, 8, 8]", "[4, 3, 3, 3]");
        var e2 = Assert.Throws<ArgumentException>(() => Ops.ConvTranspose2d(Tensor.Zeros(new Shape(1, 3, 8, 8)), Tensor.Zeros(new Shape(3, 3, 3, 3)), stride: 2, outputPadding: 2));
        Assert.Contains("output padding", e2.Message);
    }

    [Fact]
    public void Wrong_linear_and_matmul_shapes_name_the_op_and_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.Linear(Tensor.Zeros(new Shape(5, 7)), Tensor.Zeros(new Shape(3, 6))));
        AssertNames(e, "Linear", "[5, 7]", "[3, 6]");
        e = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(new Shape(2, 3, 4)), Tensor.Zeros(new Shape(5, 2))));
        AssertNames(e, "MatMul", "[2, 3, 4]", "[5, 2]");
        e = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(new Shape(2, 3, 4)), Tensor.Zeros(new Shape(3, 4, 2))));
        AssertNames(e, "MatMul", "[2]", "[3]");
        e = Assert.Throws<ArgumentException>(() => Ops.Bmm(Tensor.Zeros(new Shape(2, 3, 4)), Tensor.Zeros(new Shape(3, 4, 2))));
        AssertNames(e, "Bmm", "[2, 3, 4]", "[3, 4, 2]");
    }

    private static void AssertNames(ArgumentException e, params string[] parts)
    {
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }
}
