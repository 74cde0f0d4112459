using System.Text.Json;
using Derain.Models.Tests.Infrastructure;
using Derain.Models.Vimpnet;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Autograd;

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

    /// <summary>A reduced configuration like the ones derain train writes (every width differs from the official one).</summary>
    private static readonly VimpnetOptions Reduced = new(MidChannels: 16, NumBlocks: 2, TransformerChannels: 32, TransformerHidden: 16, MinSize: 64);

    [Fact]
    public void ReducedWidthFilesRebuildTheirNetwork()
    {
        var net = new VimpnetNet(new Generator(7), Reduced);
        string dir = Directory.CreateTempSubdirectory("vimpnet-reduced").FullName;
        try
        {
            // Derain's export: the widths come from the metadata.
            string exported = Path.Combine(dir, "reduced.safetensors");
            VimpnetCheckpoint.Save(net, exported);
            Assert.Equal(Reduced, VimpnetCheckpoint.ReadOptions(exported));
            var loaded = VimpnetCheckpoint.Load(exported);
            Assert.Equal(Reduced, loaded.Options);
            var a = net.StateDict();
            foreach (var (name, t) in loaded.StateDict())
                Assert.True(a[name].ToArray().AsSpan().SequenceEqual(t.ToArray()), $"{name} changed in the round trip.");
            var clip = Tensor.Rand(new Shape(1, 3, 3, 64, 64), new Generator(1), 0, 1);
            net.Eval();
            using (GradMode.NoGrad())
                Assert.Equal(net.Forward(clip).Output.ToArray(), loaded.Forward(clip).Output.ToArray());

            // The same tensors without width metadata (e.g. a state dict saved elsewhere): the widths come from the
            // shapes; min_size, which no tensor carries, is the official one.
            string bare = Path.Combine(dir, "bare.safetensors");
            SafeTensorsWriter.Write(bare, net.StateDict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)));
            Assert.Equal(Reduced with { MinSize = VimpnetNet.MinSize }, VimpnetCheckpoint.ReadOptions(bare));
            Assert.Equal(Reduced.MidChannels, VimpnetCheckpoint.Load(bare).Options.MidChannels);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WidthMetadataThatContradictsTheTensorsIsRefused()
    {
        var net = new VimpnetNet(new Generator(7), Reduced);
        string dir = Directory.CreateTempSubdirectory("vimpnet-reduced").FullName;
        try
        {
            string lying = Path.Combine(dir, "lying.safetensors");
            VimpnetCheckpoint.Save(net, lying);
            Rewrite(lying, VimpnetCheckpoint.MidChannelsKey, "24");
            var e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(lying));
            Assert.Contains("does not match ViMPNet(mid_channels=24, num_blocks=2) with a 32-channel, 16-wide transformer", e.Message);
            Assert.Contains("widths from the file's metadata", e.Message);
            var claimed = new VimpnetNet(new Generator(0), Reduced with { MidChannels = 24 }).StateDict();
            int differing = net.StateDict().Count(kv => !kv.Value.Shape.Equals(claimed[kv.Key].Shape));
            Assert.True(differing > 20);
            Assert.Contains($"wrong shape ({differing}): ", e.Message);

            Rewrite(lying, VimpnetCheckpoint.MidChannelsKey, "sixteen");
            e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(lying));
            Assert.Contains("metadata mid_channels is \"sixteen\", not a whole number", e.Message);

            Rewrite(lying, VimpnetCheckpoint.MidChannelsKey, "12");
            e = Assert.Throws<InvalidDataException>(() => VimpnetCheckpoint.Load(lying));
            Assert.Contains("mid_channels must be a positive multiple of 8", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Rewrites <paramref name="path"/> with the same tensors and one metadata value replaced.</summary>
    private static void Rewrite(string path, string key, string value)
    {
        Dictionary<string, string> meta;
        List<KeyValuePair<string, Tensor>> tensors;
        using (var reader = SafeTensorsReader.Open(path))
        {
            meta = new Dictionary<string, string>(reader.Metadata) { [key] = value };
            tensors = reader.Entries.Select(e => new KeyValuePair<string, Tensor>(e.Name, reader.Read(e.Name))).ToList();
        }
        SafeTensorsWriter.Write(path, tensors, meta);
        foreach (var (_, t) in tensors) t.Dispose();
    }
}
