using Derain.Models.Eevrsr;
using Derain.Models.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Eevrsr;

/// <summary>
/// One EEVRSR_all training step against the PyTorch reference (Fixtures/eevrsr/train_step_all.*, made by
/// tools/golden/eevrsr.py in float64): seeded weights with the TF variable names, frames [2,5,16,24], the loss of
/// <see cref="EevrsrLoss"/> (restoration MSE + warp MSE + 0.01·flow smoothness), the gradient of every trainable
/// parameter and TF's zero-debiased BatchNorm moving statistics after the step. Derain runs in float32.
/// </summary>
public sealed class TrainingStepGoldenTests
{
    /// <summary>
    /// float32 against a float64 reference: PyTorch's own float32 run of the same step stays within 5e-6 of each
    /// gradient tensor's largest value (tools/golden/eevrsr.py prints it); 1e-4 leaves 20× headroom. The fixture's
    /// seed keeps every warp sample position more than 5e-5 px from a ⌊·⌋ jump, 10× float32's position error.
    /// </summary>
    private const double GradientTolerance = 1e-4;

    /// <summary>Forward values and averages of them: float32 accumulates ~1e-6 relative through 30 layers.</summary>
    private const double ValueTolerance = 2e-5;

    private static readonly Dictionary<string, NpyArray> Case = EevrsrGolden.Load("train_step_all");

    [Fact]
    public void Inference_with_the_moving_statistics_matches_before_training()
    {
        var net = LoadNet();
        using var frames = Case["frames"].ToTensor();
        using (GradMode.NoGrad())
            EevrsrGolden.AssertClose(Case["eval_output"], net.Forward(frames), ValueTolerance, "eval_output", floor: 1);
    }

    [Fact]
    public void Loss_terms_and_forward_match()
    {
        var (_, forward, terms) = TrainingStep();
        EevrsrGolden.AssertClose(Case["output"], forward.Output, ValueTolerance, "output", floor: 1);
        EevrsrGolden.AssertClose(Case["warped"], forward.Warped!, ValueTolerance, "warped", floor: 1);
        EevrsrGolden.AssertClose(Case["flow"], forward.Flow!, ValueTolerance, "flow", floor: 0.1);
        EevrsrGolden.AssertClose(Case["loss_total"].Data, [terms.Total.Item()], ValueTolerance, "loss total");
        EevrsrGolden.AssertClose(Case["loss_restoration"].Data, [terms.Restoration], ValueTolerance, "loss restoration");
        EevrsrGolden.AssertClose(Case["loss_motion"].Data, [terms.Motion], ValueTolerance, "loss motion");
    }

    [Fact]
    public void Every_trainable_parameter_gets_the_reference_gradient()
    {
        var (net, _, _) = TrainingStep();
        var checkedNames = new List<string>();
        foreach (var (name, p) in net.NamedParameters())
        {
            string tf = EevrsrCheckpoint.TfName(name);
            Assert.True(Case.ContainsKey("grad/" + tf), $"{name} ({tf}) has no reference gradient.");
            var expected = Case["grad/" + tf];
            Assert.NotNull(p.Grad);
            using var grad = ToTfLayout(p.Grad!);
            if (expected.Data.All(v => Math.Abs(v) < 1e-12))
            {
                // Biases feeding only training-mode BatchNorms (conv1, the dense block's convolutions, conv2): the
                // normalisation removes any constant, so their exact gradient is 0 and only float32 rounding is left.
                EevrsrGolden.AssertClose(expected, grad, GradientTolerance, "grad " + tf, floor: 1e-2);
            }
            else
            {
                EevrsrGolden.AssertClose(expected, grad, GradientTolerance, "grad " + tf);
            }
            checkedNames.Add(tf);
        }
        // Every reference gradient belongs to a parameter of the network, and vice versa.
        var all = Case.Keys.Where(k => k.StartsWith("grad/", StringComparison.Ordinal)).Select(k => k[5..]);
        Assert.Empty(all.Except(checkedNames));
        Assert.Equal(54_409 + 121_896, net.ParameterCount(trainableOnly: true));
    }

    [Fact]
    public void Moving_statistics_follow_the_zero_debiased_average()
    {
        var (net, _, _) = TrainingStep();
        CompareMoving(net, "moving/");
        // A second training-mode forward on other frames (same weights): the average now mixes two batches.
        using var frames2 = Case["frames2"].ToTensor();
        using (GradMode.NoGrad())
            net.ForwardDetailed(frames2);
        CompareMoving(net, "moving2/");
    }

    private static void CompareMoving(EevrsrNet net, string prefix)
    {
        int compared = 0;
        foreach (var (name, buffer) in net.NamedBuffers())
        {
            if (!name.EndsWith(".moving_mean", StringComparison.Ordinal) && !name.EndsWith(".moving_variance", StringComparison.Ordinal)) continue;
            string tf = EevrsrCheckpoint.TfName(name);
            EevrsrGolden.AssertClose(Case[prefix + tf], buffer.Data, ValueTolerance, prefix + tf);
            compared++;
        }
        Assert.Equal(2 * 14, compared); // 14 BatchNorms: 2 in each of the 6 dense layers, 2 after the block
    }

    /// <summary>The fixture's weights (TF names, as derain weights convert writes them) in evaluation mode.</summary>
    private static EevrsrNet LoadNet()
    {
        var net = EevrsrCheckpoint.Load(EevrsrGolden.PathOf("train_step_all.safetensors"));
        Assert.Equal(EevrsrVariant.All, net.Variant);
        return net;
    }

    /// <summary>
    /// Loads the weights, sets the BatchNorms' zero-debias state to the fixture's (5 earlier updates; a converted
    /// file carries no such state), and runs forward, loss and backward in training mode.
    /// </summary>
    private static (EevrsrNet Net, EevrsrForward Forward, EevrsrLossTerms Terms) TrainingStep()
    {
        var net = LoadNet();
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, _) in net.NamedBuffers())
        {
            if (name.EndsWith(".ema_steps", StringComparison.Ordinal))
                state[name] = Tensor.Scalar(Case["ema_steps"].Data[0]);
            foreach (var (own, moving) in new[] { (".biased_mean", ".moving_mean"), (".biased_variance", ".moving_variance") })
                if (name.EndsWith(own, StringComparison.Ordinal))
                    state[name] = Case["ema_biased/" + EevrsrCheckpoint.TfName(name[..^own.Length] + moving)].ToTensor();
        }
        Assert.Equal(3 * 14, state.Count);
        var result = net.LoadStateDict(state, strict: false);
        Assert.Empty(result.ShapeMismatches);
        Assert.Empty(result.UnexpectedKeys);

        net.Train();
        var frames = Case["frames"].ToTensor();
        var target = Case["target"].ToTensor();
        var forward = net.ForwardDetailed(frames);
        var terms = new EevrsrLoss().Compute(forward, frames, target);
        terms.Total.Backward();
        return (net, forward, terms);
    }

    /// <summary>Conv kernels [out, in, kh, kw] → TF's [kh, kw, in, out]; other tensors unchanged.</summary>
    private static Tensor ToTfLayout(Tensor t) => t.Rank == 4 ? Ops.Clone(Ops.Permute(t, 2, 3, 1, 0)) : Ops.Clone(t);
}
