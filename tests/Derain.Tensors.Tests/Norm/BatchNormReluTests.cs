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
