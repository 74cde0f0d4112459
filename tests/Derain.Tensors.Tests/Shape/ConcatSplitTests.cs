using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class ConcatSplitTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Concat_gradients_on_every_dim(int dim)
    {
        int d = dim < 0 ? dim + 3 : dim;
        int[] Shape(int size) { var s = new[] { 2, 3, 2 }; s[d] = size; return s; }
        var a = GradCheck.Randn(1, Shape(1));
        var b = GradCheck.Randn(2, Shape(3));
        var c = GradCheck.Randn(3, Shape(2));
        GradCheck.Check(t => Ops.Concat(t, dim), [a, b, c]);
    }

    [Fact]
    public void Concat_of_one_tensor_with_itself_accumulates_both_gradients()
    {
        var a = GradCheck.Randn(4, 2, 3);
        GradCheck.Check(t => Ops.Concat([t[0], t[0]], 1), [a]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Split_and_chunk_gradients_on_every_dim(int dim)
    {
        var x = GradCheck.Randn(5, 5, 4, 3);
        // Scale each part differently so a gradient routed to the wrong part shows up.
        Tensor Rejoin(Tensor[] parts) => Ops.Concat(parts.Select((p, i) => p * (i + 1.5)).ToArray(), dim);
        GradCheck.Check(t => Rejoin(Ops.Split(t[0], 2, dim)), [x]);
        GradCheck.Check(t => Rejoin(Ops.Chunk(t[0], 2, dim)), [x]);
        GradCheck.Check(t => Rejoin(Ops.Split(t[0], [1, 0, t[0].Shape[dim] - 1], dim)), [x]);
    }

    [Fact]
    public void A_part_alone_gets_its_gradient_and_the_rest_zero()
    {
        var x = GradCheck.Randn(6, 3, 4);
        GradCheck.Check(t => Ops.Split(t[0], 3, 1)[1], [x]);
    }

    [Fact]
    public void Chunk_follows_torch_chunk_sizes()
    {
        int[] Sizes(int size, int chunks) => Ops.Chunk(Tensor.Zeros(new Shape(size)), chunks).Select(p => p.Shape[0]).ToArray();
        Assert.Equal([2, 2, 1], Sizes(5, 4));
        Assert.Equal([2, 2, 2], Sizes(6, 4));
        Assert.Equal([1, 1], Sizes(2, 5));
        Assert.Equal([0, 0, 0], Sizes(0, 3));
        Assert.Equal([3, 3, 1], Ops.Split(Tensor.Zeros(new Shape(7)), 3).Select(p => p.Shape[0]).ToArray());
    }

    [Fact]
    public void Parts_along_the_leading_dimension_are_views()
    {
        var x = Tensor.Arange(12).Reshape(1, 6, 2);
        var parts = Ops.Chunk(x, 3, 1);
        Assert.All(parts, p => Assert.Same(x.Storage, p.Storage));
        Assert.Equal([4f, 5, 6, 7], parts[1].ToArray());
        var copies = Ops.Chunk(Tensor.Arange(12).Reshape(2, 3, 2), 3, 1);
        Assert.Equal([2f, 3, 8, 9], copies[1].ToArray());
    }

    [Fact]
    public void Concat_values_interleave_along_inner_dims()
    {
        var a = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        var b = Tensor.FromArray([5f, 6], 2, 1);
        Assert.Equal([1f, 2, 5, 3, 4, 6], Ops.Concat([a, b], 1).ToArray());
    }

    [Fact]
    public void Errors_name_the_op_and_the_shapes()
    {
        var a = Tensor.Zeros(new Shape(2, 3));
        var b = Tensor.Zeros(new Shape(3, 3));
        var e = Assert.Throws<ArgumentException>(() => Ops.Concat([a, b], 1));
        Assert.Contains("Concat", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 3]", e.Message);
        Assert.Contains("Concat", Assert.Throws<ArgumentException>(() => Ops.Concat([a, Tensor.Zeros(new Shape(2, 3), DType.Float64)])).Message);
        Assert.Contains("Concat", Assert.Throws<ArgumentException>(() => Ops.Concat([a, Tensor.Zeros(new Shape(2, 3, 1))], 0)).Message);
        var s = Assert.Throws<ArgumentException>(() => Ops.Split(a, [1, 1], 1));
        Assert.Contains("Split", s.Message);
        Assert.Contains("[2, 3]", s.Message);
        Assert.Contains("Chunk", Assert.Throws<ArgumentException>(() => Ops.Chunk(a, 0)).Message);
        Assert.Contains("Split", Assert.Throws<ArgumentException>(() => Ops.Split(a, 0, 1)).Message);
    }
}
