namespace Derain.Tensors.Tests.Norm;

/// <summary>
/// Ops.BatchNormRelu is a fusion of Ops.Relu(Ops.BatchNorm(…)) (both checked against PyTorch elsewhere): it must give
/// bit-identical outputs, updated running statistics and gradients, in training and evaluation mode, in float32
/// (vector paths, sizes with scalar tails) and float64. The fused backward pass recomputes the ReLU mask from x instead of
/// reading the output, so planes longer than one summation block (LaneMaps.SumBlock) and inputs without a gradient, a
/// weight or a bias are covered too.
/// </summary>
public class BatchNormReluTests
{
    [Theory]
    [InlineData(true, DType.Float32)]
    [InlineData(false, DType.Float32)]
    [InlineData(true, DType.Float64)]
    [InlineData(false, DType.Float64)]
    public void Equals_relu_of_batch_norm_bit_for_bit(bool training, DType dtype)
    {
        // [3, 5, 7, 11]: 77 elements per plane, so vector loops end in scalar tails.
        AssertSame(training, dtype, [3, 5, 7, 11], affine: true, inputGrad: true);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public void Equals_relu_of_batch_norm_over_long_planes_and_partial_gradients(bool training, bool affine, bool inputGrad)
    {
        // 50·45 = 2250 elements per plane: more than one summation block of 2048, with a scalar tail.
        AssertSame(training, DType.Float32, [2, 3, 50, 45], affine, inputGrad);
    }

    private static void AssertSame(bool training, DType dtype, int[] shape, bool affine, bool inputGrad)
    {
        var separate = Run(training, dtype, shape, affine, inputGrad, fused: false);
        var fused = Run(training, dtype, shape, affine, inputGrad, fused: true);
        string[] names = ["output", "running mean", "running var", "dx", "dweight", "dbias"];
        for (int i = 0; i < names.Length; i++)
            Assert.True(separate[i].SequenceEqual(fused[i]), $"{names[i]} differs (training: {training}, {dtype}, affine: {affine}, input gradient: {inputGrad})");
        Assert.Contains(0.0, separate[0]); // the ReLU clipped something, so the mask was exercised
        Assert.Contains(separate[0], v => v > 0);
    }

    private static double[][] Run(bool training, DType dtype, int[] shape, bool affine, bool inputGrad, bool fused)
    {
        int c = shape[1];
        var g = new Generator(71);
        var x = Convert(Tensor.Randn(new Shape(shape), g), dtype);
        if (inputGrad) x.RequireGrad();
        var w = Convert(Tensor.Rand(new Shape(c), g) + 0.5, dtype).RequireGrad();
        var b = Convert(Tensor.Randn(new Shape(c), g) * 0.3, dtype).RequireGrad();
        var rm = Convert(Tensor.Randn(new Shape(c), g) * 0.1, dtype);
        var rv = Convert(Tensor.Rand(new Shape(c), g) + 0.5, dtype);
        var dy = Convert(Tensor.Randn(new Shape(shape), g), dtype);
        Tensor? wi = affine ? w : null, bi = affine ? b : null;
        if (!affine) x.RequireGrad(); // something must take a gradient
        var y = fused
            ? Ops.BatchNormRelu(x, rm, rv, wi, bi, training, momentum: 0.3, eps: 1e-3)
            : Ops.Relu(Ops.BatchNorm(x, rm, rv, wi, bi, training, momentum: 0.3, eps: 1e-3));
        y.Backward(dy);
        return [y.ToDoubleArray(), rm.ToDoubleArray(), rv.ToDoubleArray(), x.Grad?.ToDoubleArray() ?? [], w.Grad?.ToDoubleArray() ?? [],
            b.Grad?.ToDoubleArray() ?? []];
    }

    private static Tensor Convert(Tensor t, DType dtype) => dtype == DType.Float32 ? t : Tensor.FromArray(t.ToDoubleArray(), t.Shape.ToArray());
}

/// <summary>
/// Ops.BatchNormReluConcat normalises parts as the channels of their concatenation without building it: values,
/// running statistics and every gradient must equal <c>BatchNormRelu(Concat(parts, 1))</c> bit for bit (batch norm is
/// per channel, and each channel runs the same kernel code on the same values). Parts of different widths, planes with
/// scalar tails and planes longer than one summation block, float32 and float64, training and evaluation, and parts
/// that take no gradient.
/// </summary>
public class BatchNormReluConcatTests
{
    [Theory]
    [InlineData(true, DType.Float32, 7, 11)]
    [InlineData(false, DType.Float32, 7, 11)]
    [InlineData(true, DType.Float64, 7, 11)]
    [InlineData(false, DType.Float64, 7, 11)]
    [InlineData(true, DType.Float32, 50, 45)]
    public void Equals_batch_norm_relu_of_the_concatenation_bit_for_bit(bool training, DType dtype, int h, int w)
    {
        var separate = Run(training, dtype, h, w, fused: false, frozenPart: -1);
        var fused = Run(training, dtype, h, w, fused: true, frozenPart: -1);
        var given = Run(training, dtype, h, w, fused: true, frozenPart: -1, givenStatistics: true);
        Assert.Equal(separate.Length, fused.Length);
        for (int i = 0; i < separate.Length; i++)
        {
            Assert.True(separate[i].SequenceEqual(fused[i]), $"result {i} differs (training: {training}, {dtype}, {h}×{w})");
            Assert.True(separate[i].SequenceEqual(given[i]), $"result {i} differs with the parts' statistics given (training: {training}, {dtype}, {h}×{w})");
        }
        Assert.Contains(0.0, separate[0]);
        Assert.Contains(separate[0], v => v > 0);
    }

    [Fact]
    public void A_part_without_gradient_gets_none_and_the_rest_are_unchanged()
    {
        var separate = Run(true, DType.Float32, 9, 10, fused: false, frozenPart: 1);
        var fused = Run(true, DType.Float32, 9, 10, fused: true, frozenPart: 1);
        for (int i = 0; i < separate.Length; i++)
            Assert.True(separate[i].SequenceEqual(fused[i]), $"result {i} differs");
    }

    /// <summary>Output, running mean, running var, then the gradient of each part (empty when frozen), weight and bias.</summary>
    private static double[][] Run(bool training, DType dtype, int h, int w, bool fused, int frozenPart, bool givenStatistics = false)
    {
        int[] widths = [3, 5, 2];
        int c = widths.Sum();
        var g = new Generator(73);
        var parts = widths.Select((k, i) =>
        {
            var p = Convert(Tensor.Randn(new Shape(2, k, h, w), g) * (1 + i) + 0.2 * i, dtype);
            return i == frozenPart ? p : p.RequireGrad();
        }).ToArray();
        var wt = Convert(Tensor.Rand(new Shape(c), g) + 0.5, dtype).RequireGrad();
        var b = Convert(Tensor.Randn(new Shape(c), g) * 0.3, dtype).RequireGrad();
        var rm = Convert(Tensor.Randn(new Shape(c), g) * 0.1, dtype);
        var rv = Convert(Tensor.Rand(new Shape(c), g) + 0.5, dtype);
        var dy = Convert(Tensor.Randn(new Shape(2, c, h, w), g), dtype);
        var statistics = givenStatistics ? parts.Select(Ops.BatchStatistics).ToArray() : null;
        var y = fused
            ? Ops.BatchNormReluConcat(parts, rm, rv, wt, b, training, momentum: 0.3, eps: 1e-3, partStatistics: statistics)
            : Ops.BatchNormRelu(Ops.Concat(parts, 1), rm, rv, wt, b, training, momentum: 0.3, eps: 1e-3);
        y.Backward(dy);
        return [y.ToDoubleArray(), rm.ToDoubleArray(), rv.ToDoubleArray(), .. parts.Select(p => p.Grad?.ToDoubleArray() ?? []),
            wt.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray()];
    }

    private static Tensor Convert(Tensor t, DType dtype) => dtype == DType.Float32 ? t : Tensor.FromArray(t.ToDoubleArray(), t.Shape.ToArray());
}
