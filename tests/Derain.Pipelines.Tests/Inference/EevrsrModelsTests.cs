using Derain.Models.Eevrsr;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>Which weights <c>derain run --model</c> loads, and the messages when they are missing or wrong.</summary>
public sealed class EevrsrModelsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void OfficialCheckpointsLoadByPrefixOrFolderForTheirModelName()
    {
        Assert.Equal(EevrsrVariant.All, EevrsrModels.Load("eevrsr", RealRain.Weights("EEVRSR_all")).Variant);
        Assert.Equal(EevrsrVariant.DerainOnly, EevrsrModels.Load("eevrsr-derain-only", Path.GetDirectoryName(RealRain.Weights("EEVRSR_derain_only"))).Variant);
    }

    [Fact]
    public void AVariantMismatchNamesTheRightModel()
    {
        var e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr", RealRain.Weights("EEVRSR_derain_only")));
        Assert.Contains("--model eevrsr-derain-only", e.Message);
        e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr-derain-only", RealRain.Weights("EEVRSR_all")));
        Assert.Contains("--model eevrsr", e.Message);
    }

    [Fact]
    public void WithoutWeightsTheDefaultModelIsTakenFromTheRepository()
    {
        string root = _temp.Combine("repo");
        Directory.CreateDirectory(root);
        var e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr", null, root));
        Assert.Contains("--weights", e.Message);
        Assert.Contains(EevrsrModels.DefaultModelPath, e.Message);
        e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr-derain-only", null, root));
        Assert.Contains("no default weights", e.Message);

        var net = new EevrsrNet(EevrsrVariant.All, new Generator(7));
        string path = Path.Combine(root, EevrsrModels.DefaultModelPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        EevrsrCheckpoint.Save(net, path);
        var loaded = EevrsrModels.Load("eevrsr", null, root);
        var expected = net.StateDict();
        foreach (var (name, tensor) in loaded.StateDict()) Assert.Equal(expected[name].ToArray(), tensor.ToArray());
    }

    [Fact]
    public void MissingCorruptOrForeignWeightsAreClearErrors()
    {
        var e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr", _temp.Combine("none.safetensors")));
        Assert.Contains("not found", e.Message);

        string corrupt = _temp.Combine("corrupt.safetensors");
        File.WriteAllBytes(corrupt, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 7))]);
        e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr", corrupt));
        Assert.Contains(corrupt, e.Message);

        string foreign = _temp.Combine("other.safetensors");
        using (var w = Tensor.Ones(new Shape(8, 3, 3, 3)))
            SafeTensorsWriter.Write(foreign, [new KeyValuePair<string, Tensor>("conv_first.weight", w)]);
        e = Assert.Throws<InferenceException>(() => EevrsrModels.Load("eevrsr", foreign));
        Assert.Contains("not an EEVRSR checkpoint", e.Message);

        Assert.Throws<InferenceException>(() => EevrsrModels.Load("vimpnet", foreign));
    }
}
