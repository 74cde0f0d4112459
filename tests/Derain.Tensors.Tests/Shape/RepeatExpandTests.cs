using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class RepeatExpandTests
{
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 2, 1 })]
    [InlineData(new[] { 2, 3 }, new[] { 1, 3 })]
    [InlineData(new[] { 2, 1, 3 }, new[] { 2, 2, 1, 2 })]
    [InlineData(new[] { 3 }, new[] { 2, 1, 2 })]
    public void Repeat_gradients(int[] shape, int[] repeats)
    {
        var x = GradCheck.Randn(11, shape);
        GradCheck.Check(t => Ops.Repeat(t[0], repeats), [x]);
    }

    [Fact]
    public void Repeat_tiles_like_torch()
    {
        var x = Tensor.FromArray([1f, 2, 3], 3);
        var y = x.Repeat(2, 2);
        Assert.Equal(new Shape(2, 6), y.Shape);
        Assert.Equal([1f, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], y.ToArray());
        Assert.Equal(new Shape(0, 3), x.Repeat(0, 1).Shape);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(2, 3)).Repeat(2));
        Assert.Contains("Repeat", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Theory]
    [InlineData(new[] { 3, 1 }, new[] { 3, 4 })]
    [InlineData(new[] { 1, 3 }, new[] { 2, 4, 3 })]
    [InlineData(new[] { 2, 1, 3 }, new[] { 2, -1, 2, 3 })]
    [InlineData(new[] { 1 }, new[] { 5 })]
    public void Expand_gradients_sum_over_broadcast_dims(int[] shape, int[] sizes)
    {
        var x = GradCheck.Randn(12, shape);
        GradCheck.Check(t => Ops.Expand(t[0], sizes), [x]);
    }

    [Fact]
    public void Expand_broadcasts_and_rejects_non_unit_dims()
    {
        var x = Tensor.FromArray([1f, 2], 2, 1);
        Assert.Equal([1f, 1, 1, 2, 2, 2], x.Expand(2, 3).ToArray());
        Assert.Equal([1f, 2, 1, 2], x.Expand(2, -1, 1).ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.Expand(3, 3));
        Assert.Contains("Expand", e.Message);
        Assert.Contains("[2, 1]", e.Message);
        Assert.Contains("[3, 3]", e.Message);
        Assert.Contains("Expand", Assert.Throws<ArgumentException>(() => x.Expand(3)).Message);
        Assert.Contains("Expand", Assert.Throws<ArgumentException>(() => x.Expand(-1, 2, 3)).Message);
    }
}
