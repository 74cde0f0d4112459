using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Activation;

/// <summary>Conventions at the kinks, NaN handling, large tensors (parallel blocks) and error messages.</summary>
public class ActivationBehaviourTests
{
    private static Tensor Leaf(params float[] v) => Tensor.FromArray(v, v.Length).RequireGrad();

    private static float[] GradOf(Tensor x, Func<Tensor, Tensor> f)
    {
        var y = f(x);
        y.Backward(Tensor.Ones(y.Shape));
        return x.Grad!.ToArray();
    }

    [Fact]
    public void Relu_and_abs_have_zero_gradient_at_zero()
    {
        Assert.Equal([0f, 1f, 0f], GradOf(Leaf(0f, 2f, -1f), Ops.Relu));
        Assert.Equal([0f, 1f, -1f], GradOf(Leaf(0f, 2f, -1f), Ops.Abs));
    }

    [Fact]
    public void Leaky_relu_uses_the_slope_at_zero()
        => Assert.Equal([0.2f, 1f, 0.2f], GradOf(Leaf(0f, 2f, -1f), x => Ops.LeakyRelu(x, 0.2)));

    [Fact]
    public void Clamp_passes_the_gradient_at_both_bounds_inclusive()
    {
        Assert.Equal([1f, 1f, 0f, 0f, 1f], GradOf(Leaf(-1f, 2f, -1.5f, 2.5f, 0f), x => Ops.Clamp(x, -1, 2)));
        Assert.Equal([-1f, 2f, -1f, 2f, 0f], Ops.Clamp(Tensor.FromArray([-1f, 2f, -1.5f, 2.5f, 0f], 5), -1, 2).ToArray());
    }

    [Fact]
    public void Clamp_with_min_above_max_gives_max_like_torch()
        => Assert.Equal([1f, 1f, 1f], Ops.Clamp(Tensor.FromArray([-5f, 1.5f, 9f], 3), 2, 1).ToArray());

    [Fact]
    public void Nan_propagates_through_relu_clamp_and_leaky_relu()
    {
        var x = Tensor.FromArray([float.NaN, 1f], 2);
        Assert.True(float.IsNaN(Ops.Relu(x).ToArray()[0]));
        Assert.True(float.IsNaN(Ops.Clamp(x, 0, 0.5).ToArray()[0]));
        Assert.True(float.IsNaN(Ops.LeakyRelu(x, 0.1).ToArray()[0]));
    }

    [Fact]
    public void Tanh_is_exact_at_zero_and_accurate_for_tiny_inputs()
    {
        var x = Tensor.FromArray([0f, 1e-20f, -3e-8f, 1e-4f, 25f, -25f, 0.3f, -0.7f, 1e-6f, 2e-3f, 0.02f, 5f, -1e-30f, 0.55f, 1f, -2f, 3f], 17);
        var y = Ops.Tanh(x).ToArray();
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double r = Math.Tanh(xs[i]);
            Assert.True(Math.Abs(y[i] - r) <= 1.2e-7 * Math.Abs(r), $"tanh({xs[i]:G9}) = {y[i]:G9}, expected {r:G9}");
        }
    }

    [Fact]
    public void Pow_zero_has_zero_gradient_and_unit_output()
    {
        var x = Leaf(0f, -2f, 3f);
        Assert.Equal([1f, 1f, 1f], Ops.Pow(x, 0).ToArray());
        Assert.Equal([0f, 0f, 0f], GradOf(x, t => Ops.Pow(t, 0)));
    }

    [Fact]
    public void Pow_of_negative_base_with_integer_exponent()
    {
        Assert.Equal([-8f, 8f, -0.125f], Ops.Pow(Tensor.FromArray([-2f, 2f, -2f], 3), 3).ToArray().Take(2).Append(Ops.Pow(Tensor.FromArray([-2f], 1), -3).ToArray()[0]).ToArray());
        Assert.True(float.IsNaN(Ops.Pow(Tensor.FromArray([-2f], 1), 2.5).ToArray()[0]));
    }

    [Fact]
    public void Large_tensor_runs_in_parallel_blocks_with_the_same_result()
    {
        // 100k elements: several parallel blocks, a ragged last block and a scalar tail.
        int n = 100_003;
        var x = Tensor.Randn(new Shape(n), new Generator(11)).RequireGrad();
        var y = Ops.LeakyRelu(x, 0.1);
        var g = Tensor.Randn(new Shape(n), new Generator(12));
        y.Backward(g);
        var xv = x.ToArray(); var yv = y.ToArray(); var gv = g.ToArray(); var dx = x.Grad!.ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(xv[i] > 0 ? xv[i] : xv[i] * 0.1f, yv[i]);
            Assert.Equal(xv[i] > 0 ? gv[i] : gv[i] * 0.1f, dx[i]);
        }
    }

    [Fact]
    public void Activations_keep_float64()
    {
        var x = GradCheck.Randn(1, 4);
        Assert.Equal(DType.Float64, Ops.Sigmoid(x).DType);
        Assert.Equal(DType.Float64, Ops.Tanh(x).DType);
    }

    [Fact]
    public void PRelu_errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => Ops.PRelu(x, Tensor.Ones(new Shape(4))));
        Assert.Contains("PRelu", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.PRelu(Tensor.Zeros(new Shape(5)), Tensor.Ones(new Shape(5))));
        Assert.Contains("PRelu", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.PRelu(x, Tensor.Ones(new Shape(3), DType.Float64)));
        Assert.Contains("dtypes differ", e.Message);
    }

    [Fact]
    public void Clamp_without_bounds_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.Clamp(Tensor.Zeros(new Shape(2)), null, null));
        Assert.Contains("Clamp", e.Message);
    }

    [Fact]
    public void Backward_without_weight_grad_skips_it()
    {
        var x = Tensor.Randn(new Shape(2, 3, 4), new Generator(3)).RequireGrad();
        var w = Tensor.Full(new Shape(3), 0.25);
        var y = Ops.PRelu(x, w);
        y.Backward(Tensor.Ones(y.Shape));
        Assert.NotNull(x.Grad);
        Assert.Null(w.Grad);
    }
}
