using System.Text.Json;
using Derain.Models.Tests.Infrastructure;
using Derain.Models.Vimpnet;
using Derain.Tensors;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Vimpnet;

/// <summary>
/// One training step of a reduced-width ViMP-Net (mid 8, one block per backbone, transformer 16/16, 64×64 frames,
/// batch 2) against tools/golden/vimpnet.py (the independent PyTorch port with the official loss), with the seeded
/// weights of ../shared/fixtures/vimpnet applied to the reduced shapes. Tolerances: each loss term to 1e-5 relative
/// (measured: the float32 terms came out equal), each of the 19 gradients (SPyNet, DCN offsets and weight, backbone,
/// reconstruction, heads, encoders, SoftSplit, TokenLearner, attention, FFN, LayerNorm, SoftComp, decoder) to 2e-4 of
/// its largest magnitude (float32 sums in another order through the backward pass; measured worst 3.6e-5). Also:
/// gradient checkpointing computes the same loss and gradients.
/// </summary>
public sealed class TrainingStepTests
{
    private static readonly VimpnetOptions Small = new(MidChannels: 8, NumBlocks: 1, TransformerChannels: 16, TransformerHidden: 16, MinSize: 64);

    private static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "vimpnet");

    private static VimpnetNet SeededSmallNet()
    {
        var net = new VimpnetNet(new Generator(0), Small);
        var weights = VimpnetFixture.SeededState(net);
        var result = net.LoadStateDict(weights, strict: false);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Empty(result.ShapeMismatches);
        Assert.Equal(["spynet.mean", "spynet.std"], result.MissingKeys);
        foreach (var t in weights.Values) t.Dispose();
        net.Train();
        return net;
    }

    private static Tensor Image(NpyArray a) => Tensor.FromArray(a.Data.Select(v => (float)v / 255f).ToArray(), a.Shape);

    private static (VimpnetLossTerms Terms, Dictionary<string, float[]> Grads) Step(VimpnetNet net, Dictionary<string, NpyArray> golden)
    {
        var forward = net.Forward(Image(golden["lq"]));
        var terms = new VimpnetLoss().Compute(forward, Image(golden["gt"]), Image(golden["drop"]), Image(golden["mask"]), Image(golden["streak"]));
        terms.Total.Backward();
        var grads = net.NamedParameters().Where(p => p.Parameter.Grad is not null).ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray());
        foreach (var p in net.Parameters()) p.ZeroGrad();
        return (terms, grads);
    }

    [Fact]
    public void The_reduced_network_has_the_names_and_shapes_the_golden_script_derived()
    {
        var expected = JsonSerializer.Deserialize<List<List<JsonElement>>>(File.ReadAllText(Path.Combine(Root, "train_step_shapes.json")))!
            .Select(e => $"{e[0].GetString()} {string.Join("×", e[1].EnumerateArray().Select(d => d.GetInt32()))}").Order(StringComparer.Ordinal);
        var net = new VimpnetNet(new Generator(0), Small);
        var actual = net.StateDict().Select(kv => $"{kv.Key} {string.Join("×", kv.Value.Shape.ToArray())}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void One_step_matches_PyTorch_loss_terms_and_gradients()
    {
        using var scope = TensorScope.Begin();
        var golden = Npy.ReadNpz(Path.Combine(Root, "train_step.npz"));
        var (terms, grads) = Step(SeededSmallNet(), golden);
        double[] actual = [terms.Pixel, terms.Mask, terms.Reconstruct, terms.Hole, terms.Streak];
        var expected = golden["terms"].Data;
        for (int i = 0; i < 5; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]), $"term {i}: {actual[i]} vs PyTorch {expected[i]}");
        Assert.Equal(golden["total"].Data[0], terms.Total.Item(), 1e-5 * golden["total"].Data[0]);

        var gradients = golden.Where(kv => kv.Key.StartsWith("grad/", StringComparison.Ordinal)).ToList();
        Assert.Equal(19, gradients.Count);
        foreach (var (key, value) in gradients)
        {
            string name = key["grad/".Length..];
            var grad = grads[name];
            double scale = value.Data.Max(Math.Abs), worst = 0;
            for (int i = 0; i < grad.Length; i++) worst = Math.Max(worst, Math.Abs(grad[i] - value.Data[i]));
            Assert.True(scale > 0, $"{name}: the golden gradient is zero, the comparison would prove nothing");
            Assert.True(worst <= 2e-4 * scale, $"{name}: max |Δ| {worst:E3} against a largest gradient of {scale:E3}");
        }
    }

    [Fact]
    public void Gradient_checkpointing_gives_the_same_loss_and_gradients()
    {
        using var scope = TensorScope.Begin();
        var golden = Npy.ReadNpz(Path.Combine(Root, "train_step.npz"));
        var net = SeededSmallNet();
        var plain = Step(net, golden);
        net.Checkpointing = true;
        var recomputed = Step(net, golden);
        Assert.Equal(plain.Terms.Total.Item(), recomputed.Terms.Total.Item());
        Assert.Equal(plain.Grads.Keys.Order(), recomputed.Grads.Keys.Order());
        foreach (var (name, g) in plain.Grads)
        {
            var r = recomputed.Grads[name];
            double worst = 0, scale = g.Max(Math.Abs);
            for (int i = 0; i < g.Length; i++) worst = Math.Max(worst, Math.Abs(g[i] - r[i]));
            // The same operations on the same values; only the order in which a gradient's contributions are summed
            // may differ (a checkpointed block's gradient arrives as one sum).
            Assert.True(worst <= 1e-5 * scale, $"{name}: max |Δ| {worst:E3} against {scale:E3}");
        }
    }
}
