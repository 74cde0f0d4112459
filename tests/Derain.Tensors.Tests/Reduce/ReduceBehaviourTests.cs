using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Reduce;

/// <summary>Shapes, ties, NaN, the parallel paths on larger tensors (against a direct float64 reference) and errors.</summary>
public class ReduceBehaviourTests
{
    /// <summary>Reference sum/max over the masked dims, index by index in float64.</summary>
    private static double[] Reference(double[] x, int[] shape, bool[] mask, bool max)
    {
        int rank = shape.Length;
        var outDims = Enumerable.Range(0, rank).Select(d => mask[d] ? 1 : shape[d]).ToArray();
        int outN = outDims.Aggregate(1, (a, b) => a * b);
        var r = new double[outN];
        if (max) Array.Fill(r, double.NegativeInfinity);
        var idx = new int[rank];
        for (int i = 0; i < x.Length; i++)
        {
            int rem = i;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
            int o = 0;
            for (int d = 0; d < rank; d++) o = o * outDims[d] + (mask[d] ? 0 : idx[d]);
            r[o] = max ? Math.Max(r[o], x[i]) : r[o] + x[i];
        }
        return r;
    }

    public static TheoryData<int[], int[]> LargeCases => new()
    {
        { [300_000], [0] },            // one long run, split into parallel segments
        { [3, 50_000, 2], [0, 2] },    // several runs per output at a stride
        { [400, 1500], [0] },          // inner kept: column blocks, more than FlushRows rows
        { [64, 3, 40, 41], [0, 2, 3] },// per-channel reduction (batch-norm layout)
        { [900, 130], [1] },           // many outputs, rows in parallel
    };

    [Theory]
    [MemberData(nameof(LargeCases))]
    public void Large_sums_and_maxima_match_a_float64_reference(int[] shape, int[] dims)
    {
        var x = Tensor.Randn(new Shape(shape), new Generator(31), dtype: DType.Float64);
        var mask = new bool[shape.Length];
        foreach (int d in dims) mask[d] = true;
        var xv = x.ToDoubleArray();
        Golden.AssertClose(Reference(xv, shape, mask, false), Ops.Sum(x, dims).ToDoubleArray(), 1e-12, 1e-10, "sum");
        Golden.AssertClose(Reference(xv, shape, mask, true), Ops.Max(x, dims).ToDoubleArray(), 0, 0, "max");
        // float32 sums stay close to the float64 reference even over 300k elements
        var x32 = Ops.Cast(x, DType.Float32);
        var ref32 = Reference(x32.ToDoubleArray(), shape, mask, false);
        Golden.AssertClose(ref32, Ops.Sum(x32, dims).ToDoubleArray(), 1e-5, 2e-5, "float32 sum");
    }

    [Theory]
    [MemberData(nameof(LargeCases))]
    public void Large_backward_passes_match_a_reference(int[] shape, int[] dims)
    {
        var x = Tensor.Randn(new Shape(shape), new Generator(32), dtype: DType.Float64).RequireGrad();
        var mean = Ops.Mean(x, dims, keepDim: true);
        var g = Tensor.Randn(mean.Shape, new Generator(33), dtype: DType.Float64);
        mean.Backward(g);
        var mask = new bool[shape.Length];
        foreach (int d in dims) mask[d] = true;
        int count = dims.Aggregate(1, (a, d) => a * shape[d]);
        // each input's gradient is its output's gradient / count: check via a reduction of the gradient
        var back = Reference(x.Grad!.ToDoubleArray(), shape, mask, false);
        Golden.AssertClose(g.ToDoubleArray(), back, 1e-9, 1e-12, "mean backward sums back to g");

        x.ZeroGrad();
        var m = Ops.Max(x, dims, keepDim: true);
        m.Backward(g);
        var grad = x.Grad!.ToDoubleArray();
        Golden.AssertClose(g.ToDoubleArray(), Reference(grad, shape, mask, false), 1e-12, 0, "max backward sends g to the max");
        Assert.Equal(m.NumElements, grad.Count(v => v != 0));
    }

    [Fact]
    public void Max_splits_the_gradient_evenly_among_ties()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 2f, 5f, 5f, 5f, 0f], 2, 4).RequireGrad();
        var y = Ops.Max(x, 1);
        Assert.Equal([3f, 5f], y.ToArray());
        y.Backward(Tensor.FromArray([1f, 3f], 2));
        Assert.Equal([0f, 0.5f, 0.5f, 0f, 1f, 1f, 1f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Max_with_nan_returns_nan_and_routes_the_gradient_to_it()
    {
        var x = Tensor.FromArray([1f, float.NaN, 3f], 3).RequireGrad();
        var y = Ops.Max(x);
        Assert.True(float.IsNaN(y.ToArray()[0]));
        y.Backward();
        Assert.Equal([0f, 1f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Shapes_follow_keepdim()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 4, 5));
        Assert.Equal(new Shape(2, 4), Ops.Sum(x, [1, 3]).Shape);
        Assert.Equal(new Shape(2, 1, 4, 1), Ops.Mean(x, [1, -1], keepDim: true).Shape);
        Assert.Equal(new Shape(), Ops.Max(x).Shape);
        Assert.Equal(new Shape(3, 4, 5), Ops.Var(x, 0).Shape);
        Assert.Equal(new Shape(), Ops.Sum(Tensor.Scalar(2), 0).Shape);
        Assert.Equal(2.0, Ops.Sum(Tensor.Scalar(2), -1).Item());
    }

    [Fact]
    public void Empty_reductions_follow_torch()
    {
        var x = Tensor.Zeros(new Shape(3, 0));
        Assert.Equal([0f, 0f, 0f], Ops.Sum(x, 1).ToArray());
        Assert.True(float.IsNaN(Ops.Mean(x, 1).ToArray()[0]));
        var e = Assert.Throws<ArgumentException>(() => Ops.Max(x, 1));
        Assert.Contains("Max", e.Message);
        Assert.Contains("[3, 0]", e.Message);
    }

    [Fact]
    public void Unbiased_variance_of_one_element_is_nan_and_biased_is_zero()
    {
        var x = Tensor.FromArray([4f, 5f], 2, 1);
        Assert.All(Ops.Var(x, 1).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal([0f, 0f], Ops.Var(x, 1, unbiased: false).ToArray());
        Assert.Equal(0.5, Ops.Var(x).Item(), 6);
    }

    [Fact]
    public void Variance_is_accurate_for_a_large_offset()
    {
        // Two-pass variance: a one-pass E[x²] − E[x]² would lose everything here in float32.
        var x = Tensor.FromArray(Enumerable.Range(0, 1000).Select(i => 10000f + (i % 2 == 0 ? 0.5f : -0.5f)).ToArray(), 1000);
        Assert.Equal(0.25, Ops.Var(x, unbiased: false).Item(), 5);
    }

    [Fact]
    public void Bad_dims_name_the_op_and_shape()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        var e = Assert.Throws<ArgumentException>(() => Ops.Sum(x, 2));
        Assert.Contains("Sum", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.Mean(x, [0, -2]));
        Assert.Contains("Mean", e.Message);
        Assert.Contains("more than once", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.Var(x, Array.Empty<int>()));
        Assert.Contains("Var", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.Max(x, -3));
        Assert.Contains("Max", e.Message);
    }
}
