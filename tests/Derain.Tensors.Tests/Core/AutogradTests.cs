using Derain.Tensors.Autograd;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Core;

public class AutogradTests
{
    [Fact]
    public void Gradients_of_a_reused_tensor_accumulate()
    {
        // y = x·x + x  →  dy/dx = 2x + 1
        var x = Tensor.FromArray([1.5f, -2f, 3f], 3).RequireGrad();
        var y = x * x + x;
        y.Backward(Tensor.Ones(y.Shape));
        Assert.Equal([4f, -3f, 7f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_twice_accumulates_into_leaf_grad()
    {
        var x = Tensor.FromArray([2f], 1).RequireGrad();
        (x * 3.0).Backward(Tensor.Ones(new Shape(1)));
        (x * 4.0).Backward(Tensor.Ones(new Shape(1)));
        Assert.Equal(7f, x.Grad!.ToArray()[0]);
    }

    [Fact]
    public void Leaf_gradient_never_aliases_the_seed_or_other_gradients()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var seed = Tensor.FromArray([5f, 6f], 2);
        x.Backward(seed);
        seed.AsSpan()[0] = 100f;
        Assert.Equal([5f, 6f], x.Grad!.ToArray());

        var a = Tensor.FromArray([1f], 1).RequireGrad();
        var b = Tensor.FromArray([2f], 1).RequireGrad();
        (a + b).Backward(Tensor.Ones(new Shape(1)));
        a.Grad!.AsSpan()[0] = 42f;
        Assert.Equal(1f, b.Grad!.ToArray()[0]);
    }

    [Fact]
    public void No_grad_records_nothing()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        Tensor y;
        using (GradMode.NoGrad()) y = x * x;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void Detach_cuts_the_graph_and_shares_data()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var d = (x * 2.0).Detach();
        Assert.False(d.RequiresGrad);
        Assert.Equal([2f, 4f], d.ToArray());
    }

    [Fact]
    public void Second_backward_through_released_graph_is_a_clear_error()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var y = x * x;
        y.Backward(Tensor.Ones(y.Shape));
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(y.Shape)));
        Assert.Contains("retainGraph", e.Message);
    }

    [Fact]
    public void Retained_graph_allows_a_second_backward()
    {
        var x = Tensor.FromArray([3f], 1).RequireGrad();
        var y = x * x;
        y.Backward(Tensor.Ones(y.Shape), retainGraph: true);
        y.Backward(Tensor.Ones(y.Shape));
        Assert.Equal(12f, x.Grad!.ToArray()[0]);
    }

    [Fact]
    public void Backward_without_seed_needs_a_scalar()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var e = Assert.Throws<InvalidOperationException>(() => (x * x).Backward());
        Assert.Contains("scalar", e.Message);
    }

    private sealed class Cube : CustomFunction
    {
        protected override Tensor Forward(Context ctx, Tensor[] inputs)
        {
            var x = ctx.Save(inputs[0]);
            return x * x * x;
        }

        protected override Tensor?[] Backward(Context ctx, Tensor gradOutput)
        {
            var x = ctx.Saved[0];
            return [gradOutput * (x * x * 3.0)];
        }
    }

    [Fact]
    public void Custom_function_gradient_matches_finite_differences()
    {
        var x = GradCheck.Randn(1, 5);
        GradCheck.Check(a => new Cube().Apply(a[0]), [x]);
    }

    [Fact]
    public void Custom_function_survives_caller_disposing_its_input()
    {
        var x = Tensor.FromArray([2f], 1).RequireGrad();
        var h = x * 1.0;
        var y = new Cube().Apply(h);
        h.Dispose();
        y.Backward(Tensor.Ones(y.Shape));
        Assert.Equal(12f, x.Grad!.ToArray()[0]);
    }

    [Fact]
    public void Broadcasting_binary_ops_pass_gradient_check()
    {
        var a = GradCheck.Randn(2, 2, 3, 4);
        var b = GradCheck.Rand(3, 0.5, 2.0, 3, 1);
        GradCheck.Check(t => t[0] + t[1], [a, b]);
        GradCheck.Check(t => t[0] - t[1], [a, b]);
        GradCheck.Check(t => t[0] * t[1], [a, b]);
        GradCheck.Check(t => t[0] / t[1], [a, b]);
        var c = GradCheck.Randn(4, 1, 4);
        GradCheck.Check(t => t[0] * t[1], [a, c]);
        GradCheck.Check(t => t[1] / (t[0] * t[0] + 1.0), [a, c]);
    }

    [Fact]
    public void Views_pass_gradient_check()
    {
        var a = GradCheck.Randn(5, 2, 3, 4);
        GradCheck.Check(t => Ops.Narrow(t[0], 1, 1, 2) * 2.0, [a]);
        GradCheck.Check(t => Ops.Narrow(t[0], 0, 1, 1), [a]);
        GradCheck.Check(t => Ops.Reshape(t[0], 4, -1), [a]);
        GradCheck.Check(t => Ops.Flatten(t[0], 1) * Ops.Unsqueeze(Ops.Narrow(Ops.Flatten(t[0], 1), 0, 0, 1).Reshape(12), 0), [a]);
    }
}
