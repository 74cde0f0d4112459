using Derain.NN.Losses;
using Derain.Tensors;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.NN.Tests.Losses;

/// <summary>Loss values and gradients against PyTorch (tools/golden/nn.py).</summary>
public class LossGoldenTests
{
    [Theory]
    [InlineData("l1", DType.Float32)]
    [InlineData("mse", DType.Float32)]
    [InlineData("charbonnier", DType.Float32)]
    [InlineData("bce", DType.Float32)]
    [InlineData("ssim", DType.Float32)]
    [InlineData("bce_logits", DType.Float32)]
    [InlineData("ssim", DType.Float64)]
    [InlineData("bce_logits", DType.Float64)]
    [InlineData("charbonnier", DType.Float64)]
    public void Value_and_gradient_match_pytorch(string name, DType dtype)
    {
        var g = Golden.Load("nn", "losses");
        double rtol = dtype == DType.Float32 ? 2e-5 : 1e-10;
        var input = (name == "bce_logits" ? g["logits"] : g["pred"]).ToDoubleTensor().To(dtype).RequireGrad();
        var target = g["target"].ToDoubleTensor().To(dtype);
        var bits = g["bits"].ToDoubleTensor().To(dtype);
        var value = name switch
        {
            "l1" => Loss.L1(input, target),
            "mse" => Loss.Mse(input, target),
            "charbonnier" => Loss.Charbonnier(input, target),
            "bce" => Loss.BinaryCrossEntropy(input, bits),
            "ssim" => Loss.Ssim(input, target),
            _ => Loss.BinaryCrossEntropyWithLogits(input, bits),
        };
        Assert.Equal(g[name].Data[0], value.Item(), g[name].Data[0] * rtol + 1e-12);
        value.Backward();
        // Float32 gradient elements that nearly cancel (SSIM) carry rounding error relative to the largest
        // element, not to themselves: the absolute tolerance scales with the gradient's magnitude.
        var expectedGrad = g[name + "_grad"];
        double scale = expectedGrad.Data.Max(Math.Abs);
        Golden.AssertClose(expectedGrad, input.Grad!, rtol * 10, dtype == DType.Float32 ? 1e-4 * scale : 1e-12, name + " gradient");
    }

    [Fact]
    public void Mismatched_shapes_name_both()
    {
        var e = Assert.Throws<ArgumentException>(() => Loss.L1(Tensor.Zeros(new Shape(2, 3)), Tensor.Zeros(new Shape(3, 2))));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }
}
