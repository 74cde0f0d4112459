using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Norm;

public class LayerNormTests
{
    [Theory]
    [InlineData("layer_norm_affine")]
    [InlineData("layer_norm_plain_2d")]
    [InlineData("layer_norm_weight_only")]
    [InlineData("layer_norm_bias_only")]
    public void LayerNorm_matches_torch(string name)
    {
        var c = NormGolden.Load(name);
        bool w = c.ContainsKey("w"), b = c.ContainsKey("b");
        var inputs = new List<(string, string?)> { ("x", "dx") };
        if (w) inputs.Add(("w", "dw"));
        if (b) inputs.Add(("b", "db"));
        NormGolden.Run(name, [.. inputs], (t, cc) =>
        {
            var shape = cc["normalized_shape"].Data.Select(d => (int)d).ToArray();
            return Ops.LayerNorm(t[0], shape, w ? t[1] : null, b ? t[w ? 2 : 1] : null, NormGolden.Scalar(cc, "eps"));
        });
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void LayerNorm_gradients_match_finite_differences(bool weight, bool bias)
    {
        var x = GradCheck.Randn(51, 3, 2, 5);
        var inputs = new List<Tensor> { x };
        if (weight) inputs.Add(GradCheck.Randn(52, 2, 5));
        if (bias) inputs.Add(GradCheck.Randn(53, 2, 5));
        GradCheck.Check(i => Ops.LayerNorm(i[0], [2, 5], weight ? i[1] : null, bias ? i[^1] : null), [.. inputs]);
    }

    [Fact]
    public void LayerNorm_over_the_last_dim_only()
        => GradCheck.Check(i => Ops.LayerNorm(i[0], [4], i[1], i[2], 1e-3), [GradCheck.Randn(54, 5, 4), GradCheck.Randn(55, 4), GradCheck.Randn(56, 4)]);

    [Fact]
    public void Large_layer_norm_matches_a_float64_reference()
    {
        // 700 rows of 515: rows split across threads, per-chunk weight/bias gradient partials, vector tails.
        int rows = 700, cols = 515;
        var gen = new Generator(57);
        var x = Tensor.Randn(new Shape(rows, cols), gen, mean: 3, std: 2).RequireGrad();
        var w = Tensor.Randn(new Shape(cols), gen).RequireGrad();
        var b = Tensor.Randn(new Shape(cols), gen).RequireGrad();
        var g = Tensor.Randn(new Shape(rows, cols), gen);
        var y = Ops.LayerNorm(x, [cols], w, b);
        y.Backward(g);

        var xv = x.ToDoubleArray(); var wv = w.ToDoubleArray(); var bv = b.ToDoubleArray(); var gv = g.ToDoubleArray();
        var yr = new double[xv.Length]; var dx = new double[xv.Length]; var dw = new double[cols]; var db = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int j = 0; j < cols; j++) m += xv[r * cols + j];
            m /= cols;
            for (int j = 0; j < cols; j++) v += Math.Pow(xv[r * cols + j] - m, 2);
            double rs = 1 / Math.Sqrt(v / cols + 1e-5), s1 = 0, s2 = 0;
            for (int j = 0; j < cols; j++)
            {
                int i = r * cols + j;
                double xh = (xv[i] - m) * rs, gh = gv[i] * wv[j];
                yr[i] = xh * wv[j] + bv[j];
                s1 += gh; s2 += gh * xh;
                dw[j] += gv[i] * xh; db[j] += gv[i];
            }
            for (int j = 0; j < cols; j++)
            {
                int i = r * cols + j;
                double xh = (xv[i] - m) * rs;
                dx[i] = rs * (gv[i] * wv[j] - s1 / cols - xh * s2 / cols);
            }
        }
        Golden.AssertClose(yr, y.ToDoubleArray(), 2e-5, 2e-5, "y");
        Golden.AssertClose(dx, x.Grad!.ToDoubleArray(), 1e-4, 2e-5, "dx");
        Golden.AssertClose(dw, w.Grad!.ToDoubleArray(), 1e-4, 1e-3, "dw");
        Golden.AssertClose(db, b.Grad!.ToDoubleArray(), 1e-5, 1e-4, "db");
    }

    [Fact]
    public void Only_requested_gradients_are_computed()
    {
        var x = Tensor.Randn(new Shape(3, 4), new Generator(58));
        var w = Tensor.Ones(new Shape(4)).RequireGrad();
        var y = Ops.LayerNorm(x, [4], w);
        y.Backward(Tensor.Ones(y.Shape));
        Assert.NotNull(w.Grad);
        Assert.Null(x.Grad);
        // Σ over rows of x̂ per column
        Assert.Equal(4, w.Grad!.NumElements);
    }

    [Fact]
    public void Shape_errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, [3]));
        Assert.Contains("LayerNorm", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("[3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, [4], Tensor.Ones(new Shape(3))));
        Assert.Contains("weight", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, [4], null, Tensor.Ones(new Shape(4, 1))));
        Assert.Contains("bias", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, [1, 2, 3, 4]));
        Assert.Contains("LayerNorm", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, [4], Tensor.Ones(new Shape(4), DType.Float64)));
        Assert.Contains("dtypes differ", e.Message);
    }
}
