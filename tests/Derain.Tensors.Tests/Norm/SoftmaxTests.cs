using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Norm;

public class SoftmaxTests
{
    [Theory]
    [InlineData("softmax_last")]
    [InlineData("softmax_dim1")]
    [InlineData("softmax_dim0")]
    [InlineData("softmax_last_large")]
    [InlineData("log_softmax_last")]
    [InlineData("log_softmax_dim1")]
    [InlineData("log_softmax_dim0_large")]
    public void Softmax_matches_torch(string name)
        => NormGolden.Run(name, [("x", "dx")], (t, c) =>
        {
            int dim = (int)NormGolden.Scalar(c, "dim");
            return name.StartsWith("log_", StringComparison.Ordinal) ? Ops.LogSoftmax(t[0], dim) : Ops.Softmax(t[0], dim);
        });

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 1)]
    [InlineData(false, -1)]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void Softmax_gradients_match_finite_differences(bool log, int dim)
    {
        var x = GradCheck.Randn(41, 3, 4, 5);
        GradCheck.Check(i => log ? Ops.LogSoftmax(i[0], dim) : Ops.Softmax(i[0], dim), [x]);
    }

    /// <summary>Float64 reference softmax along one axis of [outer, dim, inner].</summary>
    private static double[] Reference(double[] x, int outer, int dim, int inner, bool log)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity, s = 0;
                for (int d = 0; d < dim; d++) m = Math.Max(m, x[(o * dim + d) * inner + i]);
                for (int d = 0; d < dim; d++) s += Math.Exp(x[(o * dim + d) * inner + i] - m);
                for (int d = 0; d < dim; d++)
                {
                    double v = x[(o * dim + d) * inner + i] - m;
                    y[(o * dim + d) * inner + i] = log ? v - Math.Log(s) : Math.Exp(v) / s;
                }
            }
        return y;
    }

    [Theory]
    [InlineData(300, 257, 1, false)]   // rows in parallel, odd length (vector tails)
    [InlineData(2, 150, 1300, false)]  // columns: 512-wide blocks with a ragged last block
    [InlineData(1, 3000, 40, true)]    // one long axis of narrow columns
    [InlineData(64, 2500, 1, true)]    // long rows: more than one exp-sum block
    public void Large_softmax_matches_a_float64_reference_in_float32(int outer, int dim, int inner, bool log)
    {
        var x = Tensor.Randn(new Shape(outer, dim, inner), new Generator(42), std: 3);
        var y = log ? Ops.LogSoftmax(x, 1) : Ops.Softmax(x, 1);
        var r = Reference(x.ToDoubleArray(), outer, dim, inner, log);
        Golden.AssertClose(r, y.ToDoubleArray(), 1e-5, log ? 1e-5 : 1e-9, "softmax");
    }

    [Fact]
    public void Large_softmax_backward_matches_the_closed_form()
    {
        var x = Tensor.Randn(new Shape(2, 700, 300), new Generator(43), dtype: DType.Float64).RequireGrad();
        var g = Tensor.Randn(x.Shape, new Generator(44), dtype: DType.Float64);
        foreach (var dim in new[] { 1, 2 })
        {
            x.ZeroGrad();
            var y = Ops.Softmax(x, dim);
            y.Backward(g);
            // dx = y ⊙ (g − Σ_dim g ⊙ y), computed here with broadcasting ops
            var dot = Ops.Sum(Ops.Mul(g, y.Detach()), dim, keepDim: true);
            var expected = Ops.Mul(y.Detach(), Ops.Sub(g, dot));
            Golden.AssertClose(expected.ToDoubleArray(), x.Grad!.ToDoubleArray(), 1e-10, 1e-13, $"softmax dim {dim} backward");
        }
    }

    [Fact]
    public void Softmax_is_stable_for_huge_inputs_and_sums_to_one()
    {
        var x = Tensor.FromArray([1000f, 1001f, 999f, -1000f], 1, 4);
        var y = Ops.Softmax(x, 1).ToArray();
        Assert.Equal(1.0, y.Sum(), 6);
        Assert.All(y, v => Assert.False(float.IsNaN(v)));
        var l = Ops.LogSoftmax(x, 1).ToArray();
        Assert.Equal(-1.0 - Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), l[0], 5);
    }

    [Fact]
    public void Softmax_of_a_scalar_is_one()
    {
        Assert.Equal(1.0, Ops.Softmax(Tensor.Scalar(3), 0).Item());
        Assert.Equal(0.0, Ops.LogSoftmax(Tensor.Scalar(3), -1).Item());
    }

    [Fact]
    public void Bad_dim_names_the_op_and_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.Softmax(Tensor.Zeros(new Shape(2, 3)), 2));
        Assert.Contains("Softmax", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LogSoftmax(Tensor.Zeros(new Shape(2, 3)), -3));
        Assert.Contains("LogSoftmax", e.Message);
    }
}
