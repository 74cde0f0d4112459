using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Tensors;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.NN.Tests.Optim;

/// <summary>Optimiser updates against torch.optim over several steps (tools/golden/optim.py).</summary>
public class OptimizerGoldenTests
{
    private static Optimizer Make(string name, Parameter p) => name switch
    {
        "adam" => new Adam([new ParamGroup([p])], lr: 1e-2),
        "adam_wd" => new Adam([new ParamGroup([p])], lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1),
        "adamw" => new AdamW([new ParamGroup([p])], lr: 1e-2, weightDecay: 0.05),
        "sgd" => new Sgd([new ParamGroup([p])], lr: 1e-2),
        "sgd_momentum" => new Sgd([new ParamGroup([p])], lr: 1e-2, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
        "sgd_nesterov" => new Sgd([new ParamGroup([p])], lr: 1e-2, momentum: 0.9, nesterov: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("adam")]
    [InlineData("adam_wd")]
    [InlineData("adamw")]
    [InlineData("sgd")]
    [InlineData("sgd_momentum")]
    [InlineData("sgd_nesterov")]
    public void Steps_match_torch_optim(string name)
    {
        var g = Golden.Load("optim", name);
        int n = g["p0"].Shape[0], steps = g["grads"].Shape[0];
        var p = new Parameter(g["p0"].ToTensor());
        var opt = Make(name, p);
        for (int t = 0; t < steps; t++)
        {
            opt.Lr = g["lrs"].Data[t];
            p.Data.Grad = Tensor.FromArray(g["grads"].Data.Skip(t * n).Take(n).Select(v => (float)v).ToArray(), n);
            opt.Step();
            var expected = g["trace"].Data.Skip(t * n).Take(n).ToArray();
            Golden.AssertClose(expected, p.Data.ToDoubleArray(), 2e-6, 1e-7, $"{name} step {t + 1}");
        }
    }

    [Fact]
    public void Resumed_optimizer_continues_exactly()
    {
        var g = Golden.Load("optim", "adam_wd");
        int n = g["p0"].Shape[0];
        Tensor Grad(int t) => Tensor.FromArray(g["grads"].Data.Skip(t * n).Take(n).Select(v => (float)v).ToArray(), n);

        var p1 = new Parameter(g["p0"].ToTensor());
        var straight = Make("adam_wd", p1);
        for (int t = 0; t < 6; t++) { p1.Data.Grad = Grad(t); straight.Step(); }

        var p2 = new Parameter(g["p0"].ToTensor());
        var first = Make("adam_wd", p2);
        for (int t = 0; t < 3; t++) { p2.Data.Grad = Grad(t); first.Step(); }
        var saved = first.GetState();
        var p3 = new Parameter(p2.Data.Clone().Detach());
        var resumed = Make("adam_wd", p3);
        resumed.SetState(saved);
        for (int t = 3; t < 6; t++) { p3.Data.Grad = Grad(t); resumed.Step(); }

        Assert.Equal(p1.Data.ToArray(), p3.Data.ToArray());
        Assert.Equal(6, resumed.StepCount);
    }

    [Fact]
    public void Frozen_group_waits_and_multiplier_scales_the_rate()
    {
        var a = new Parameter(Tensor.Zeros(new Shape(2)));
        var b = new Parameter(Tensor.Zeros(new Shape(2)));
        var opt = new Sgd([new ParamGroup([a]), new ParamGroup([b], "spynet") { LrMultiplier = 0.25, FrozenUntilStep = 2 }], lr: 1.0);
        for (int t = 0; t < 3; t++)
        {
            a.Data.Grad = Tensor.Ones(new Shape(2));
            b.Data.Grad = Tensor.Ones(new Shape(2));
            opt.Step();
        }
        Assert.Equal([-3f, -3f], a.Data.ToArray());
        Assert.Equal([-0.25f, -0.25f], b.Data.ToArray()); // only the third step touched it
    }

    [Fact]
    public void Clip_by_global_norm_matches_torch()
    {
        var g = Golden.Load("optim", "clip");
        var a = new Parameter(Tensor.Zeros(new Shape(5, 3)));
        var b = new Parameter(Tensor.Zeros(new Shape(7)));
        a.Data.Grad = g["ga"].ToTensor();
        b.Data.Grad = g["gb"].ToTensor();
        double total = GradClip.ClipByGlobalNorm([a, b], 1.5);
        Assert.Equal(g["total"].Data[0], total, 5);
        Golden.AssertClose(g["ca"], a.Grad!, 1e-6, 1e-7, "clipped a");
        Golden.AssertClose(g["cb"], b.Grad!, 1e-6, 1e-7, "clipped b");
    }
}
