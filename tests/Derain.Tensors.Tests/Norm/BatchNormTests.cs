using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Norm;

public class BatchNormTests
{
    /// <summary>
    /// Runs a batch/instance norm golden case, then checks the in-place running statistics (when present)
    /// against torch's updated ones.
    /// </summary>
    private static void RunChannelCase(string name, bool instance)
    {
        var c = NormGolden.Load(name);
        bool affine = c.ContainsKey("w"), running = c.ContainsKey("running_mean");
        var inputs = new List<(string, string?)> { ("x", "dx") };
        if (affine) { inputs.Add(("w", "dw")); inputs.Add(("b", "db")); }
        var runs = new List<(Tensor Mean, Tensor Var)>();
        NormGolden.Run(name, [.. inputs], (t, cc) =>
        {
            Tensor? rm = running ? NormGolden.Tensor(cc["running_mean"], t[0].DType) : null;
            Tensor? rv = running ? NormGolden.Tensor(cc["running_var"], t[0].DType) : null;
            if (rm is not null) runs.Add((rm, rv!));
            double momentum = NormGolden.Scalar(cc, "momentum"), eps = NormGolden.Scalar(cc, "eps");
            return instance
                ? Ops.InstanceNorm(t[0], rm, rv, affine ? t[1] : null, affine ? t[2] : null, NormGolden.Scalar(cc, "use_input_stats") != 0, momentum, eps)
                : Ops.BatchNorm(t[0], rm, rv, affine ? t[1] : null, affine ? t[2] : null, NormGolden.Scalar(cc, "training") != 0, momentum, eps);
        });
        foreach (var (rm, rv) in runs)
        {
            var (r, a) = rm.DType == DType.Float32 ? NormGolden.Forward32 : NormGolden.Float64;
            Golden.AssertClose(c["running_mean_after"], rm, r, a, $"{name} {rm.DType} running_mean");
            Golden.AssertClose(c["running_var_after"], rv, r, a, $"{name} {rm.DType} running_var");
        }
        Assert.Equal(running ? 2 : 0, runs.Count);
    }

    [Theory]
    [InlineData("batch_norm_train_running_affine")]
    [InlineData("batch_norm_train_plain")]
    [InlineData("batch_norm_eval_affine")]
    [InlineData("batch_norm_train_2d")]
    public void BatchNorm_matches_torch(string name) => RunChannelCase(name, instance: false);

    [Theory]
    [InlineData("instance_norm_plain")]
    [InlineData("instance_norm_affine")]
    [InlineData("instance_norm_running_1d")]
    [InlineData("instance_norm_eval_running")]
    public void InstanceNorm_matches_torch(string name) => RunChannelCase(name, instance: true);

    public static TheoryData<string, bool> GradVariants => new()
    {
        { "bn-train", true }, { "bn-train", false }, { "bn-eval", true }, { "bn-eval", false },
        { "in", true }, { "in", false }, { "in-eval", true }, { "bn-train-2d", true },
    };

    [Theory]
    [MemberData(nameof(GradVariants))]
    public void Gradients_match_finite_differences(string variant, bool affine)
    {
        var x = variant == "bn-train-2d" ? GradCheck.Randn(61, 6, 3) : GradCheck.Randn(61, 2, 3, 2, 3);
        var inputs = new List<Tensor> { x };
        if (affine) { inputs.Add(GradCheck.Rand(62, 0.5, 1.5, 3)); inputs.Add(GradCheck.Randn(63, 3)); }
        var rm = GradCheck.Randn(64, 3);
        var rv = GradCheck.Rand(65, 0.5, 2, 3);
        GradCheck.Check(i =>
        {
            var w = affine ? i[1] : null;
            var b = affine ? i[2] : null;
            return variant switch
            {
                // training without running stats, so the repeated evaluations do not drift them
                "bn-train" or "bn-train-2d" => Ops.BatchNorm(i[0], null, null, w, b, training: true, eps: 1e-3),
                "bn-eval" => Ops.BatchNorm(i[0], rm, rv, w, b, training: false, eps: 1e-3),
                "in" => Ops.InstanceNorm(i[0], weight: w, bias: b),
                "in-eval" => Ops.InstanceNorm(i[0], rm, rv, w, b, useInputStats: false),
                _ => throw new ArgumentException(variant),
            };
        }, [.. inputs]);
    }

    [Fact]
    public void Training_updates_running_statistics_with_momentum_and_the_unbiased_variance()
    {
        // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3.
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 1, 2);
        var rm = Tensor.FromArray([1f], 1);
        var rv = Tensor.FromArray([1f], 1);
        int version = rm.Version;
        var y = Ops.BatchNorm(x, rm, rv, training: true, momentum: 0.25, eps: 0);
        Assert.Equal(0.75 * 1 + 0.25 * 2.5, rm.Item(), 6);
        Assert.Equal(0.75 * 1 + 0.25 * 5.0 / 3, rv.Item(), 6);
        Assert.NotEqual(version, rm.Version);
        Assert.Equal(-1.5 / Math.Sqrt(1.25), y.ToArray()[0], 5);
    }

    [Fact]
    public void Eval_mode_leaves_running_statistics_alone()
    {
        var x = Tensor.Randn(new Shape(3, 2, 4), new Generator(66));
        var rm = Tensor.FromArray([0.5f, -1f], 2);
        var rv = Tensor.FromArray([2f, 0.5f], 2);
        var y = Ops.BatchNorm(x, rm, rv, training: false, eps: 0);
        Assert.Equal([0.5f, -1f], rm.ToArray());
        Assert.Equal([2f, 0.5f], rv.ToArray());
        Assert.Equal((x.ToArray()[0] - 0.5) / Math.Sqrt(2), y.ToArray()[0], 5);
    }

    [Fact]
    public void Large_batch_norm_matches_a_float64_reference()
    {
        // 8 channels over 4×64×65 values each: channels in parallel, long planes (several sum blocks).
        int n = 4, ch = 8, inner = 64 * 65;
        var x = Tensor.Randn(new Shape(n, ch, 64, 65), new Generator(67), mean: 5, std: 3).RequireGrad();
        var g = Tensor.Randn(x.Shape, new Generator(68));
        var w = Tensor.Rand(new Shape(ch), new Generator(69), 0.5, 1.5).RequireGrad();
        var y = Ops.BatchNorm(x, null, null, w, null, training: true);
        y.Backward(g);
        var xv = x.ToDoubleArray(); var gv = g.ToDoubleArray(); var wv = w.ToDoubleArray();
        var yv = y.ToDoubleArray(); var dxv = x.Grad!.ToDoubleArray(); var dwv = w.Grad!.ToDoubleArray();
        int count = n * inner;
        for (int c = 0; c < ch; c++)
        {
            double m = 0, v = 0, sg = 0, sgx = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) m += xv[(i * ch + c) * inner + j];
            m /= count;
            for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) v += Math.Pow(xv[(i * ch + c) * inner + j] - m, 2);
            double rs = 1 / Math.Sqrt(v / count + 1e-5);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++)
                {
                    int k = (i * ch + c) * inner + j;
                    sg += gv[k]; sgx += gv[k] * (xv[k] - m) * rs;
                }
            Assert.Equal(sgx, dwv[c], 1e-4 * Math.Max(1, Math.Abs(sgx)));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j += 97)
                {
                    int k = (i * ch + c) * inner + j;
                    double xh = (xv[k] - m) * rs;
                    Assert.Equal(xh * wv[c], yv[k], 2e-5 * Math.Max(1, Math.Abs(xh * wv[c])));
                    double dx = wv[c] * rs * (gv[k] - sg / count - xh * sgx / count);
                    Assert.Equal(dx, dxv[k], 1e-4 * Math.Max(1e-2, Math.Abs(dx)));
                }
        }
    }

    [Fact]
    public void Errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(x, null, null, training: false));
        Assert.Contains("BatchNorm", e.Message);
        Assert.Contains("running_mean", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(x, null, null, Tensor.Ones(new Shape(4)), training: true));
        Assert.Contains("weight", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(new Shape(1, 3)), null, null, training: true));
        Assert.Contains("more than 1 value per channel", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(new Shape(3)), null, null, training: true));
        Assert.Contains("BatchNorm", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.InstanceNorm(Tensor.Zeros(new Shape(2, 3))));
        Assert.Contains("InstanceNorm", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.InstanceNorm(Tensor.Zeros(new Shape(2, 3, 1))));
        Assert.Contains("more than 1 spatial element", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.InstanceNorm(x, useInputStats: false));
        Assert.Contains("running_mean", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.InstanceNorm(x, Tensor.Zeros(new Shape(3), DType.Float64), Tensor.Ones(new Shape(3), DType.Float64)));
        Assert.Contains("dtypes differ", e.Message);
    }

    [Fact]
    public void Instance_norm_planes_have_zero_mean_and_unit_variance()
    {
        var x = Tensor.Randn(new Shape(2, 3, 5, 7), new Generator(70), mean: 4, std: 2, dtype: DType.Float64);
        var y = Ops.InstanceNorm(x, eps: 0);
        var m = Ops.Mean(y, [2, 3]).ToDoubleArray();
        var v = Ops.Var(y, [2, 3], unbiased: false).ToDoubleArray();
        Assert.All(m, a => Assert.Equal(0, a, 12));
        Assert.All(v, a => Assert.Equal(1, a, 12));
    }

}
