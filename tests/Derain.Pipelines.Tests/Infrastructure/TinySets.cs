using Derain.Data.Synthesis;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;

namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>
/// The training and validation sets of configs/eevrsr-tiny.yaml, rendered once per test run into a temporary
/// folder from the file's own synthesize blocks, and configs for experiments that use them.
/// </summary>
public class TinySets : IDisposable
{
    private readonly TempFolder _folder = new("derain-tiny-sets-");
    private readonly string _configFile;

    public TinySets()
        : this("eevrsr-tiny.yaml", SynthesisKind.Streaks)
    {
    }

    protected TinySets(string configFile, SynthesisKind kind)
    {
        _configFile = configFile;
        var config = Load(_folder.Path);
        Messages = [];
        DatasetPreparation.Ensure("datasets.train", TrainRoot, config.Datasets.Train.Synthesize, kind, config.Resolve, Messages.Add);
        DatasetPreparation.Ensure("datasets.val", ValRoot, config.Datasets.Val.Synthesize, kind, config.Resolve, Messages.Add);
        _straight = new(() => new Trainer(Load(_folder["straight"])).Run(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string TrainRoot => _folder["train"];

    public string ValRoot => _folder["val"];

    /// <summary>What rendering the sets reported.</summary>
    public List<string> Messages { get; }

    /// <summary>The tiny experiment with its sets here, its experiments under <paramref name="experiments"/>, and <paramref name="overrides"/>.</summary>
    public ExperimentConfig Load(string experiments, params string[] overrides)
        => ExperimentFile.Load(Repository.Config(_configFile),
            [$"datasets.train.root={TrainRoot}", $"datasets.val.root={ValRoot}", $"path.experiments={experiments}", .. overrides]);

    /// <summary>
    /// The tiny experiment run once from scratch to the end without interruption (made on first use and shared):
    /// the reference the resumed runs are compared with.
    /// </summary>
    public TrainingResult Straight => _straight.Value;

    private readonly Lazy<TrainingResult> _straight;

    public void Dispose()
    {
        _folder.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The time-lapse sets of configs/mgid-tiny.yaml, likewise.</summary>
public sealed class MgidTinySets() : TinySets("mgid-tiny.yaml", SynthesisKind.TimeLapse);

[CollectionDefinition(Name)]
public sealed class MgidTinySetsCollection : ICollectionFixture<MgidTinySets>
{
    public const string Name = "tiny MGID training sets";
}

[CollectionDefinition(Name)]
public sealed class TinySetsCollection : ICollectionFixture<TinySets>
{
    public const string Name = "tiny training sets";
}

/// <summary>The VRDS sets of configs/vimpnet-tiny.yaml, likewise.</summary>
public sealed class VimpnetTinySets() : TinySets("vimpnet-tiny.yaml", SynthesisKind.Vrds);

[CollectionDefinition(Name)]
public sealed class VimpnetTinySetsCollection : ICollectionFixture<VimpnetTinySets>
{
    public const string Name = "tiny ViMP-Net training sets";
}
