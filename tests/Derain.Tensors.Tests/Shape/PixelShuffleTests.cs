using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class PixelShuffleTests
{
    [Theory]
    [InlineData(new[] { 1, 8, 2, 3 }, 2)]
    [InlineData(new[] { 2, 1, 9, 2, 2 }, 3)]
    [InlineData(new[] { 4, 2, 3 }, 2)]
    public void PixelShuffle_gradients(int[] shape, int r)
    {
        var x = GradCheck.Randn(16, shape);
        GradCheck.Check(t => Ops.PixelShuffle(t[0], r), [x]);
    }

    [Theory]
    [InlineData(new[] { 1, 2, 4, 6 }, 2)]
    [InlineData(new[] { 2, 1, 1, 3, 6 }, 3)]
    public void PixelUnshuffle_gradients(int[] shape, int r)
    {
        var x = GradCheck.Randn(17, shape);
        GradCheck.Check(t => Ops.PixelUnshuffle(t[0], r), [x]);
    }

    [Fact]
    public void PixelShuffle_uses_pytorch_channel_order_and_inverts()
    {
        // Channel c·r² + i·r + j lands at (h·r + i, w·r + j).
        var x = Tensor.Arange(8).Reshape(1, 4, 1, 2);
        var y = Ops.PixelShuffle(x, 2);
        Assert.Equal(new Shape(1, 1, 2, 4), y.Shape);
        Assert.Equal([0f, 2, 1, 3, 4, 6, 5, 7], y.ToArray());
        var big = Tensor.Randn(new Shape(2, 3, 64, 33, 40), new Generator(2));
        Assert.Equal(big.ToArray(), Ops.PixelUnshuffle(Ops.PixelShuffle(big, 4), 4).ToArray());
    }

    [Fact]
    public void Errors_name_the_op_the_shape_and_the_factor()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.PixelShuffle(Tensor.Zeros(new Shape(1, 12, 2, 2)), 3));
        Assert.Contains("PixelShuffle", e.Message);
        Assert.Contains("[1, 12, 2, 2]", e.Message);
        Assert.Contains("upscale_factor² = 9", e.Message);
        var u = Assert.Throws<ArgumentException>(() => Ops.PixelUnshuffle(Tensor.Zeros(new Shape(1, 1, 4, 5)), 2));
        Assert.Contains("PixelUnshuffle", u.Message);
        Assert.Contains("[1, 1, 4, 5]", u.Message);
        Assert.Contains("PixelShuffle", Assert.Throws<ArgumentException>(() => Ops.PixelShuffle(Tensor.Zeros(new Shape(4, 2)), 2)).Message);
    }
}
