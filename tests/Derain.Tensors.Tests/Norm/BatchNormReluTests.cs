namespace Derain.Tensors.Tests.Norm;

/// <summary>
/// Ops.BatchNormRelu is a fusion of Ops.Relu(Ops.BatchNorm(…)) (both checked against PyTorch elsewhere): it must give
/// bit-identical outputs, updated running statistics and gradients, in training and evaluation mode, in float32
/// (vector paths, sizes with scalar tails) and float64.
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
        var separate = Run(training, dtype, fused: false);
        var fused = Run(training, dtype, fused: true);
        string[] names = ["output", "running mean", "running var", "dx", "dweight", "dbias"];
        for (int i = 0; i < names.Length; i++)
            Assert.True(separate[i].SequenceEqual(fused[i]), $"{names[i]} differs (training: {training}, {dtype})");
        Assert.Contains(0.0, separate[0]); // the ReLU clipped something, so the mask was exercised
        Assert.Contains(separate[0], v => v > 0);
    }

    private static double[][] Run(bool training, DType dtype, bool fused)
    {
        // [3, 5, 7, 11]: 77 elements per plane, so vector loops end in scalar tails.
        var g = new Generator(71);
        var x = Convert(Tensor.Randn(new Shape(3, 5, 7, 11), g), dtype).RequireGrad();
        var w = Convert(Tensor.Rand(new Shape(5), g) + 0.5, dtype).RequireGrad();
        var b = Convert(Tensor.Randn(new Shape(5), g) * 0.3, dtype).RequireGrad();
        var rm = Convert(Tensor.Randn(new Shape(5), g) * 0.1, dtype);
        var rv = Convert(Tensor.Rand(new Shape(5), g) + 0.5, dtype);
        var dy = Convert(Tensor.Randn(new Shape(3, 5, 7, 11), g), dtype);
        var y = fused
            ? Ops.BatchNormRelu(x, rm, rv, w, b, training, momentum: 0.3, eps: 1e-3)
            : Ops.Relu(Ops.BatchNorm(x, rm, rv, w, b, training, momentum: 0.3, eps: 1e-3));
        y.Backward(dy);
        return [y.ToDoubleArray(), rm.ToDoubleArray(), rv.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray()];
    }

    private static Tensor Convert(Tensor t, DType dtype) => dtype == DType.Float32 ? t : Tensor.FromArray(t.ToDoubleArray(), t.Shape.ToArray());
}
