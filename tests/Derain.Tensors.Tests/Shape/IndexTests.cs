using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class IndexTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void IndexSelect_gradients_with_repeated_indices(int dim)
    {
        var x = GradCheck.Randn(13, 3, 4, 3);
        var index = IndexTensor.Of(2, 0, 2, 1, 2);
        GradCheck.Check(t => Ops.IndexSelect(t[0], dim, index), [x]);
    }

    [Fact]
    public void IndexSelect_picks_slices_in_index_order()
    {
        var x = Tensor.Arange(6).Reshape(3, 2);
        Assert.Equal([4f, 5, 0, 1, 4, 5], x.IndexSelect(0, IndexTensor.Of(2, 0, 2)).ToArray());
        Assert.Equal([1f, 3, 5], x.IndexSelect(1, IndexTensor.Of(1)).ToArray());
        Assert.Equal(new Shape(3, 0), x.IndexSelect(1, IndexTensor.Of()).Shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gather_gradients_on_every_dim(int dim)
    {
        var x = GradCheck.Randn(14, 3, 4, 3);
        // A smaller index in the other dims and repeats along dim (scatter_add must accumulate).
        var shape = new[] { 2, 3, 2 };
        shape[dim] = 5;
        var g = new Generator(3);
        var ids = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b))
            .Select(_ => (int)(g.NextDouble() * x.Shape[dim])).ToArray();
        var index = new IndexTensor(ids, shape);
        GradCheck.Check(t => Ops.Gather(t[0], dim, index), [x]);
    }

    [Fact]
    public void Gather_follows_the_torch_definition()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        // torch.gather(t, 1, [[0, 0], [1, 0]]) = [[1, 1], [4, 3]]
        Assert.Equal([1f, 1, 4, 3], Ops.Gather(x, 1, new IndexTensor([0, 0, 1, 0], 2, 2)).ToArray());
        // dim 0 with a one-row index: [[x[1][0], x[0][1]]] = [[3, 2]]
        Assert.Equal([3f, 2], Ops.Gather(x, 0, new IndexTensor([1, 0], 1, 2)).ToArray());
    }

    [Fact]
    public void Index_errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        var e = Assert.Throws<ArgumentException>(() => Ops.IndexSelect(x, 1, IndexTensor.Of(0, 3)));
        Assert.Contains("IndexSelect", e.Message);
        Assert.Contains("index 3", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("IndexSelect", Assert.Throws<ArgumentException>(() => Ops.IndexSelect(x, 0, IndexTensor.Of(-1))).Message);
        Assert.Contains("IndexSelect", Assert.Throws<ArgumentException>(() => Ops.IndexSelect(x, 0, new IndexTensor([0, 0], 1, 2))).Message);
        var g = Assert.Throws<ArgumentException>(() => Ops.Gather(x, 0, new IndexTensor([0, 0, 0, 0], 1, 4)));
        Assert.Contains("Gather", g.Message);
        Assert.Contains("[1, 4]", g.Message);
        Assert.Contains("Gather", Assert.Throws<ArgumentException>(() => Ops.Gather(x, 0, new IndexTensor([2], 1, 1))).Message);
        Assert.Contains("Gather", Assert.Throws<ArgumentException>(() => Ops.Gather(x, 0, IndexTensor.Of(0))).Message);
    }

    [Fact]
    public void Argmax_takes_the_first_maximum_and_the_first_nan()
    {
        var x = Tensor.FromArray([1f, 3, 3, 2, float.NaN, 0, float.NaN, 5], 2, 4);
        var a = Ops.Argmax(x, 1);
        Assert.Equal(new Shape(2), a.Shape);
        Assert.Equal([1, 0], a.ToArray());
        Assert.Equal(new Shape(2, 1), Ops.Argmax(x, 1, keepDim: true).Shape);
        Assert.Equal([0, 0, 1, 1], Ops.Argmax(Tensor.FromArray([1.0, 2, 3, -1, 0, 1, 4, 5], 2, 4), 0).ToArray());
        var all = Ops.Argmax(Tensor.FromArray([1f, 7, 7, 2], 2, 2));
        Assert.Equal(0, all.Rank);
        Assert.Equal(1, all[0]);
        Assert.Contains("Argmax", Assert.Throws<ArgumentException>(() => Ops.Argmax(Tensor.Zeros(new Shape(2, 0)), 1)).Message);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    [InlineData(false, -1)]
    public void TopK_value_gradients_go_to_the_selected_positions(bool largest, int dim)
    {
        var x = GradCheck.Randn(15, 4, 5, 3);
        GradCheck.Check(t => Ops.TopK(t[0], 3, dim, largest).Values, [x]);
    }

    [Fact]
    public void TopK_orders_by_value_then_index_with_nan_largest()
    {
        var x = Tensor.FromArray([1f, 3, 3, float.NaN, 2, 3], 6);
        var (v, i) = Ops.TopK(x, 4);
        Assert.Equal([3, 1, 2, 5], i.ToArray());
        Assert.True(float.IsNaN(v.ToArray()[0]));
        var (s, si) = Ops.TopK(x, 3, largest: false);
        Assert.Equal([0, 4, 1], si.ToArray());
        Assert.Equal([1f, 2, 3], s.ToArray());
        Assert.Equal(new Shape(0), Ops.TopK(x, 0).Values.Shape);
        var e = Assert.Throws<ArgumentException>(() => Ops.TopK(x, 7));
        Assert.Contains("TopK", e.Message);
        Assert.Contains("[6]", e.Message);
    }

    [Fact]
    public void TopK_on_many_rows_matches_a_sort_per_row()
    {
        var x = Tensor.Randn(new Shape(300, 40), new Generator(4));
        var (v, i) = Ops.TopK(x, 5, 1);
        var xv = x.ToArray();
        for (int r = 0; r < 300; r++)
        {
            var want = Enumerable.Range(0, 40).OrderByDescending(j => xv[r * 40 + j]).Take(5).ToArray();
            Assert.Equal(want, i.Span.Slice(r * 5, 5).ToArray());
            Assert.Equal(want.Select(j => xv[r * 40 + j]).ToArray(), v.ToArray().AsSpan(r * 5, 5).ToArray());
        }
    }

    [Fact]
    public void IndexTensor_is_an_immutable_copy_with_a_shape()
    {
        var data = new[] { 1, 2, 3, 4, 5, 6 };
        var t = new IndexTensor(data, 2, 3);
        data[0] = 99;
        Assert.Equal(1, t[0]);
        Assert.Equal(6, t.At(1, 2));
        Assert.Equal(new Shape(3, 2), t.Reshape(3, 2).Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToTensor().ToArray());
        Assert.Contains("IndexTensor", Assert.Throws<ArgumentException>(() => new IndexTensor([1, 2], 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.At(2, 0));
    }
}
