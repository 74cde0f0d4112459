using System.Text.Json;
using Derain.Models.Tests.Infrastructure;
using Derain.Models.Vimpnet;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;

namespace Derain.Models.Tests.Vimpnet;

/// <summary>
/// VimpnetCheckpoint on the files of Fixtures/vimpnet_checkpoints (made by tools/fixtures/make_vimpnet_checkpoints.py
/// with PyTorch from the official state-dict names of ../shared/fixtures/vimpnet; every tensor a strided view of one
/// small storage, its reference the sha256 of its values), Derain's .safetensors, and other networks' files.
/// </summary>
public sealed class CheckpointTests
{
    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "vimpnet_checkpoints", file);

    private static List<(string Name, int[] Shape, string Sha256)> Reference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture(name + ".json")));
        return doc.RootElement.GetProperty("tensors").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), t.GetProperty("sha256").GetString()!))
            .ToList();
    }

    private static void AssertMatches(IReadOnlyDictionary<string, Tensor> state, List<(string Name, int[] Shape, string Sha256)> reference)
    {
        foreach (var (name, shape, sha) in reference)
        {
            Assert.True(state.ContainsKey(name), $"{name} is not in the network.");
            Assert.Equal(shape, state[name].Shape.ToArray());
            Assert.True(sha == SeededWeights.Sha256(state[name].ToArray()), $"{name}: the loaded values differ from the file's.");
        }
    }

    [Fact]
    public void MmeditCheckpointLoadsEveryTensorByItsOfficialName()
    {
        var net = VimpnetCheckpoint.Load(Fixture("mmedit.pth"));
        Assert.False(net.Training);
        var reference = Reference("mmedit");
        var state = net.StateDict();
        Assert.Equal(state.Count, reference.Count);
        Assert.Equal(reference.Select(r => r.Name), state.Keys);
        AssertMatches(state, reference);
    }

    [Fact]
    public void MismatchReportListsMissingUnexpectedAndWrongShapedTensors()
    {
        var e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(Fixture("mismatch.pth")));
        Assert.Contains("does not match ViMPNet(mid_channels=64, num_blocks=9)", e.Message);
        Assert.Contains("missing (2): backbone.forward_1.main.2.8.conv2.bias, Dual_Raindrop_gnostic_Transformer.TokenLearner.conv_layer.weight", e.Message);
        Assert.Contains("unexpected (1): Dual_Raindrop_gnostic_Transformer.pos_emb", e.Message);
        Assert.Contains("wrong shape (1): deform_align.backward_1.conv_offset.0.weight: file [64, 196, 3, 3], ViMP-Net [64, 197, 3, 3]", e.Message);
        Assert.DoesNotContain("step_counter", e.Message);
        Assert.DoesNotContain("optimizer", e.Message);
    }

    [Fact]
    public void OtherNetworksAreRefusedByName()
    {
        string mgid = Path.Combine(SharedData.Root, "fixtures", "mgid", "random", "mgid_model_00000.pth");
        var e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(mgid));
        Assert.Contains("is not a ViMP-Net checkpoint", e.Message);
        Assert.Contains("Dual_Raindrop_gnostic_Transformer.*", e.Message);

        // A SPyNet alone is not a ViMP-Net either.
        e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(Fixture("spynet_mmedit.pth")));
        Assert.Contains("is not a ViMP-Net checkpoint", e.Message);

        var net = new VimpnetNet(new Generator(0));
        e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.LoadSpyNet(net, mgid));
        Assert.Contains("is not a SPyNet checkpoint", e.Message);
    }

    [Theory]
    [InlineData("spynet_mmedit.pth", "spynet_mmedit")]
    [InlineData("spynet_basicsr.pth", "spynet_basicsr")]
    public void PretrainedSpyNetInitialisesOnlyTheFlowNetwork(string file, string reference)
    {
        var net = new VimpnetNet(new Generator(0));
        var before = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        VimpnetCheckpoint.LoadSpyNet(net, Fixture(file));
        var state = net.StateDict();
        var expected = Reference(reference);
        Assert.Equal(60, expected.Count);
        AssertMatches(state, expected);
        foreach (var (name, values) in before)
            if (!name.StartsWith("spynet.basic_module.", StringComparison.Ordinal))
                Assert.True(values.AsSpan().SequenceEqual(state[name].ToArray()), $"{name} changed.");
    }

    [Fact]
    public void SpyNetLoadsFromAWholeVimpnetCheckpoint()
    {
        var net = new VimpnetNet(new Generator(0));
        VimpnetCheckpoint.LoadSpyNet(net, Fixture("mmedit.pth"));
        AssertMatches(net.StateDict(), Reference("mmedit").Where(r => r.Name.StartsWith("spynet.basic_module.", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void SafeTensorsRoundTripKeepsEveryWeight()
    {
        var net = VimpnetFixture.SeededNet();
        string dir = Directory.CreateTempSubdirectory("vimpnet-ckpt").FullName;
        try
        {
            string path = Path.Combine(dir, "vimpnet.safetensors");
            VimpnetCheckpoint.Save(net, path);
            var loaded = VimpnetCheckpoint.Load(path);
            var a = net.StateDict();
            foreach (var (name, t) in loaded.StateDict())
                Assert.True(a[name].ToArray().AsSpan().SequenceEqual(t.ToArray()), $"{name} changed in the round trip.");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
