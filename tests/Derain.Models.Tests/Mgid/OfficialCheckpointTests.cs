using Derain.Models.Mgid;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Serialization;
using Xunit.Abstractions;

namespace Derain.Models.Tests.Mgid;

/// <summary>
/// MgidCheckpoint on ../shared/fixtures/mgid/random/mgid_model_00000.pth (saved exactly as the official Train.py saves:
/// state dict under 'model', Adam and scheduler state, memory_items, argparse.Namespace), Derain's .safetensors, and
/// files of other networks.
/// </summary>
public sealed class OfficialCheckpointTests(ITestOutputHelper output)
{
    private static string OfficialFile => Path.Combine(MgidFixture.RandomRoot, "mgid_model_00000.pth");

    [Fact]
    public void OfficialTrainCheckpointReproducesItsExpectedOutputs()
    {
        var net = MgidCheckpoint.Load(OfficialFile, out bool memoryFromFile);
        Assert.True(memoryFromFile);
        Assert.False(net.Training);
        MgidFixture.AssertReproducesOfficialOutputs(net, MgidFixture.RandomRoot, output);
    }

    [Fact]
    public void SafeTensorsRoundTripKeepsWeightsAndMemory()
    {
        var net = MgidFixture.SeededNet();
        string dir = Directory.CreateTempSubdirectory("mgid-ckpt").FullName;
        try
        {
            string path = Path.Combine(dir, "mgid.safetensors");
            MgidCheckpoint.Save(net, path);
            var loaded = MgidCheckpoint.Load(path, out bool memoryFromFile);
            Assert.True(memoryFromFile);
            var a = net.StateDict();
            foreach (var (name, t) in loaded.StateDict()) Assert.True(a[name].ToArray().SequenceEqual(t.ToArray()), $"{name} changed in the round trip.");

            // A state dict without memory_items loads, says so, and starts from Train.py's normalised random memory.
            string bare = Path.Combine(dir, "bare.safetensors");
            SafeTensorsWriter.Write(bare, net.StateDict().Where(kv => kv.Key != "memory_items"));
            var withoutMemory = MgidCheckpoint.Load(bare, out bool fromFile);
            Assert.False(fromFile);
            var m = withoutMemory.MemoryItems.Data.ToArray();
            for (int i = 0; i < MgidNet.MemorySize; i++)
                Assert.Equal(1.0, Math.Sqrt(m.AsSpan(i * 64, 64).ToArray().Sum(v => (double)v * v)), 5);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AnotherNetworksCheckpointIsRefusedByName()
    {
        string eevrsr = Path.Combine(SharedData.DataPath("weights", "eevrsr", "EEVRSR_all"), "model.ckpt");
        var e = Assert.Throws<InvalidDataException>(() => MgidCheckpoint.Load(eevrsr));
        Assert.Contains("is not an MGID checkpoint", e.Message);
        Assert.Contains("encoder.moduleConv1.0.weight", e.Message);
    }

    [Fact]
    public void WrongShapesAreNamed()
    {
        var net = MgidFixture.SeededNet();
        string dir = Directory.CreateTempSubdirectory("mgid-ckpt").FullName;
        try
        {
            string path = Path.Combine(dir, "wide-memory.safetensors");
            var state = net.StateDict();
            using var wide = Tensor.Zeros(new Shape(10, 512));
            state["memory_items"] = wide;
            SafeTensorsWriter.Write(path, state);
            var e = Assert.Throws<InvalidDataException>(() => MgidCheckpoint.Load(path));
            Assert.Contains("memory_items", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
