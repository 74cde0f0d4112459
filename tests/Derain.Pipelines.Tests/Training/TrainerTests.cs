using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Models.Eevrsr;
using Derain.NN.Checkpoints;
using Derain.NN.Modules;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Pipelines.Training.Logging;
using Derain.Pipelines.Training.Networks;
using Derain.Tensors;

using static Derain.Pipelines.Tests.Infrastructure.TrainingRuns;

namespace Derain.Pipelines.Tests.Training;

/// <summary>
/// EEVRSR trained on the tiny sets (32×32 patches, batch 2, 12 iterations): a run stopped at any point and resumed
/// writes the same log, loss for loss and bit for bit, and ends with the same weights as a run that never stopped.
/// </summary>
[Collection(TinySetsCollection.Name)]
public sealed class TrainerTests(TinySets sets) : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_run_interrupted_and_resumed_equals_one_that_never_stopped()
    {
        var straight = sets.Straight;
        Assert.Equal(TrainingStatus.Completed, straight.Status);
        Assert.Equal(12, straight.Iteration);
        var reference = Deterministic(straight.ExperimentDirectory);
        Assert.Equal(12 + 2, reference.Count); // print_freq 1, validation at 6 and 12
        var log = TrainingLog.Read(Path.Combine(straight.ExperimentDirectory, TrainingLog.JsonFile));
        double first = log.First(e => e.Kind == LogEntry.Train)["loss"]!.Value, last = log.Last(e => e.Kind == LogEntry.Train)["loss"]!.Value;
        Assert.True(last < first / 1.5, $"12 iterations should bring the loss down: {first} → {last}");

        // Stopped after iteration 5 (as Ctrl+C does), between two periodic checkpoints, then resumed by a new trainer.
        var recorder = new TrainingRecorder(stopAfter: 5);
        var stopped = Train(sets.Load(_dir["resumed"]), recorder);
        Assert.Equal(TrainingStatus.Interrupted, stopped.Status);
        Assert.Equal(5, stopped.Iteration);
        Assert.EndsWith("iter_00000005", stopped.Checkpoint);
        Assert.Contains(recorder.Messages, m => m.StartsWith("interrupted at iteration 5", StringComparison.Ordinal));
        var resumedRecorder = new TrainingRecorder();
        var resumed = Train(sets.Load(_dir["resumed"]), resumedRecorder);
        Assert.Contains(resumedRecorder.Messages, m => m.Contains("resuming from", StringComparison.Ordinal) && m.Contains("iteration 5", StringComparison.Ordinal));
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(reference, Deterministic(resumed.ExperimentDirectory));
        SameWeights(Path.Combine(straight.ExperimentDirectory, "models", Trainer.LastModel), Path.Combine(resumed.ExperimentDirectory, "models", Trainer.LastModel));
        SameWeights(Path.Combine(straight.ExperimentDirectory, "checkpoints", "iter_00000012", CheckpointStore.WeightsFile),
            Path.Combine(resumed.ExperimentDirectory, "checkpoints", "iter_00000012", CheckpointStore.WeightsFile));

        // As after kill -9 at iteration 10: the newest checkpoint is 8, the log runs on past it and ends in half a line.
        string killed = _dir["killed"];
        CopyFolder(straight.ExperimentDirectory, killed);
        string copy = Path.Combine(killed, "eevrsr_tiny");
        Directory.Delete(Path.Combine(copy, "checkpoints", "iter_00000012"), recursive: true);
        var lines = File.ReadAllLines(Path.Combine(copy, TrainingLog.JsonFile)).Where(l => !l.Contains("\"iter\":11") && !l.Contains("\"iter\":12")).ToList();
        File.WriteAllText(Path.Combine(copy, TrainingLog.JsonFile), string.Join('\n', lines) + "\n{\"kind\":\"train\",\"iter\":11,\"epo");
        var afterKill = Train(sets.Load(killed));
        Assert.Equal(12, afterKill.Iteration);
        Assert.Equal(reference, Deterministic(afterKill.ExperimentDirectory));
        SameWeights(Path.Combine(straight.ExperimentDirectory, "models", Trainer.LastModel), Path.Combine(afterKill.ExperimentDirectory, "models", Trainer.LastModel));

        // path.resume naming a checkpoint folder: a new experiment branches off the reference run at iteration 8.
        string eight = Path.Combine(straight.ExperimentDirectory, "checkpoints", "iter_00000008");
        var branch = Train(sets.Load(_dir["branch"], $"path.resume={eight}"));
        Assert.Equal(12, branch.Iteration);
        Assert.Equal(reference.Where(l => l.StartsWith("train", StringComparison.Ordinal)).Skip(8),
            Deterministic(branch.ExperimentDirectory).Where(l => l.StartsWith("train", StringComparison.Ordinal)));
    }

    [Fact]
    public void Validation_does_not_disturb_training_and_the_delivered_weights_load()
    {
        var often = Train(sets.Load(_dir["often"], "val.freq=2"));
        var reference = sets.Straight; // val.freq 6
        static IEnumerable<string> TrainOnly(string dir) => Deterministic(dir).Where(l => l.StartsWith("train", StringComparison.Ordinal));
        Assert.Equal(TrainOnly(reference.ExperimentDirectory), TrainOnly(often.ExperimentDirectory));
        Assert.Equal(6, Deterministic(often.ExperimentDirectory).Count(l => l.StartsWith("val", StringComparison.Ordinal)));
        Assert.Equal(2, Deterministic(reference.ExperimentDirectory).Count(l => l.StartsWith("val", StringComparison.Ordinal)));
        // The scores at iterations both runs validated at agree: validating in between changed nothing.
        Assert.Equal(Deterministic(reference.ExperimentDirectory).Where(l => l.StartsWith("val", StringComparison.Ordinal)).Select(l => l.Split("val_clips")[0]),
            Deterministic(often.ExperimentDirectory).Where(l => l.StartsWith("val 6:", StringComparison.Ordinal) || l.StartsWith("val 12:", StringComparison.Ordinal)).Select(l => l.Split("val_clips")[0]));

        // The deliverables: last = the final checkpoint's weights; best = the best-scoring validation's.
        string models = Path.Combine(often.ExperimentDirectory, "models");
        SameWeights(Path.Combine(often.ExperimentDirectory, "checkpoints", "iter_00000012", CheckpointStore.WeightsFile), Path.Combine(models, Trainer.LastModel));
        var net = EevrsrCheckpoint.Load(Path.Combine(models, Trainer.BestModel));
        Assert.Equal(EevrsrVariant.All, net.Variant);
        var vals = TrainingLog.Read(Path.Combine(often.ExperimentDirectory, TrainingLog.JsonFile)).Where(e => e.Kind == LogEntry.Validation).ToList();
        var best = vals.MaxBy(e => e["psnr"]!.Value)!;
        Assert.Equal(best.Iteration, often.BestIteration);
        Assert.Equal(best["psnr"], often.BestScore);
        Assert.All(vals, v => Assert.Equal(vals[0]["input_psnr"], v["input_psnr"])); // the rainy input does not change
        Assert.True(File.Exists(Path.Combine(often.ExperimentDirectory, Trainer.PlotFile)));
        Assert.True(File.Exists(Path.Combine(often.ExperimentDirectory, TrainingLog.CsvFile)));
    }

    [Fact]
    public void The_derain_only_variant_has_no_motion_term()
    {
        var result = Train(sets.Load(_dir["derain_only"], "network.variant=derain_only", "train.total_iter=4"));
        var log = TrainingLog.Read(Path.Combine(result.ExperimentDirectory, TrainingLog.JsonFile)).Where(e => e.Kind == LogEntry.Train).ToList();
        Assert.Equal(4, log.Count);
        Assert.All(log, e => Assert.Equal(0.0, e["loss_mc"]));
        Assert.All(log, e => Assert.Equal(e["loss"], e["loss_rest"]));
        Assert.Equal(EevrsrVariant.DerainOnly, EevrsrCheckpoint.Load(Path.Combine(result.ExperimentDirectory, "models", Trainer.LastModel)).Variant);
    }

    [Fact]
    public void Path_pretrain_network_starts_a_fresh_run_from_given_weights_and_a_resume_ignores_it()
    {
        // The reference run's 12 iterations take its loss down by more than 1.5× (first test); a run starting from its
        // delivered weights must begin near where it ended, not where a random start does.
        var reference = sets.Straight;
        string weights = Path.Combine(reference.ExperimentDirectory, "models", Trainer.LastModel);
        string copy = Path.Combine(Directory.CreateDirectory(_dir["weights"]).FullName, "trained.safetensors");
        File.Copy(weights, copy);
        var recorder = new TrainingRecorder(stopAfter: 1);
        var stopped = Train(sets.Load(_dir["pre"], $"path.pretrain_network={copy}", "train.total_iter=2"), recorder);
        Assert.Contains(recorder.Messages, m => m.StartsWith($"starting eevrsr_tiny from the weights {copy}", StringComparison.Ordinal));
        Assert.Equal(1, stopped.Iteration);
        static double FirstLoss(string dir) => TrainingLog.Read(Path.Combine(dir, TrainingLog.JsonFile)).First(e => e.Kind == LogEntry.Train)["loss"]!.Value;
        double scratch = FirstLoss(reference.ExperimentDirectory), pretrained = FirstLoss(stopped.ExperimentDirectory);
        Assert.True(pretrained < scratch / 1.5, $"the first loss from trained weights ({pretrained}) should be well below a random start's ({scratch})");

        // Resuming reads the checkpoint, not the pretrained file (gone by now).
        File.Delete(copy);
        var resumed = Train(sets.Load(_dir["pre"], $"path.pretrain_network={copy}", "train.total_iter=2"));
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(2, resumed.Iteration);

        // A fresh run with a missing file, or with weights of the other variant, names the key and the fix.
        var e = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["missing"], $"path.pretrain_network={copy}")));
        Assert.Contains("path.pretrain_network:", e.Message);
        Assert.Contains("does not exist", e.Message);
        var wrong = Assert.Throws<InvalidDataException>(() => Train(sets.Load(_dir["variant"], $"path.pretrain_network={weights}", "network.variant=derain_only")));
        Assert.Contains("holds EEVRSR all weights, but network.variant is derain_only", wrong.Message);
    }

    [Fact]
    public void Settings_a_checkpoint_depends_on_cannot_change_silently()
    {
        Train(sets.Load(_dir["exp"], "train.total_iter=4"));
        var e = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["exp"], "train.total_iter=8", "train.batch_size=1")));
        Assert.Contains("train.batch_size: the checkpoint", e.Message);
        Assert.Contains("was trained with 2, this experiment says 1", e.Message);
        e = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["exp"], "train.total_iter=8", "path.resume=none")));
        Assert.Contains("path.resume: none, but", e.Message);
        Assert.Contains("use resume: auto to continue it", e.Message);

        var again = Train(sets.Load(_dir["exp"], "train.total_iter=4"));
        Assert.Equal(TrainingStatus.AlreadyComplete, again.Status);
        Assert.Equal(4, again.Iteration);
    }

    [Fact]
    public void A_missing_set_without_a_synthesize_block_names_the_key_and_the_fix()
    {
        string yaml = File.ReadAllText(Repository.Config("eevrsr-tiny.yaml"));
        var config = ExperimentFile.Parse(yaml, "tiny.yaml",
            [$"datasets.train.root={sets.TrainRoot}", $"datasets.val.root={_dir["nothing"]}", "datasets.val.synthesize=~", $"path.experiments={_dir.Path}"]);
        var e = Assert.Throws<ConfigException>(() => Train(config));
        Assert.Contains($"datasets.val.root: {_dir["nothing"]} does not exist; make it with `derain synth --kind streaks", e.Message);
    }

    [Fact]
    public void Rendering_a_missing_set_is_announced_and_repeatable()
    {
        Assert.Contains(sets.Messages, m => m.StartsWith("datasets.train: ", StringComparison.Ordinal) && m.Contains("does not exist; rendering it from 1 source(s)", StringComparison.Ordinal));
        var config = sets.Load(_dir.Path);
        Derain.Pipelines.Training.Data.DatasetPreparation.Ensure("datasets.train", _dir["again"], config.Datasets.Train.Synthesize, Derain.Data.Synthesis.SynthesisKind.Streaks, config.Resolve, _ => { });
        var files = Directory.EnumerateFiles(sets.TrainRoot, "*.png", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Derain.Pipelines.Training.Data.DatasetPreparation.SynthesisFolder, StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(3 * 8, files.Count); // gt, lq, mstreak × 8 frames
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir["again"], Path.GetRelativePath(sets.TrainRoot, f)))), f);
        Assert.False(Directory.EnumerateDirectories(_dir.Path, ".*").Any()); // no staging folder left behind
    }

    /// <summary>A stand-in network on EEVRSR's data whose loss turns into NaN at its third step.</summary>
    private sealed class Diverging : Module, ITrainableNetwork
    {
        private readonly Parameter _w;
        private int _calls;

        public Diverging() => _w = RegisterParameter("w", Tensor.Ones(new Shape(1)));

        public Module Module => this;
        public SynthesisKind DataKind => SynthesisKind.Streaks;
        public IReadOnlyList<string> TermNames { get; } = [];

        public IDataset OpenTrainingSet(string root) => new VrdsDataset(root, 5, keys: [DatasetLayout.Rainy], centreCleanOnly: true);

        public IValidationSet OpenValidationSet(string root, ValConfig val) => new ValidationSet(root, 5, val.MaxClips, val.Crop, 4, Predict);

        public NetworkLoss Loss(Batch batch)
        {
            var (frames, target) = Luma.Pair(batch[DatasetLayout.Rainy], batch[DatasetLayout.Clean]);
            var loss = Ops.Mean(Ops.Square(Predict(frames) - target));
            return new NetworkLoss(++_calls == 3 ? loss * double.NaN : loss, []);
        }

        private Tensor Predict(Tensor frames) => Ops.Narrow(frames, 1, 2, 1) * _w.Data;

        public void LoadPretrained(string path) => throw new NotSupportedException("the stand-in has no weight files");

        public void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata) { }
    }

    [Fact]
    public void A_diverging_loss_stops_with_advice_instead_of_training_on_nan()
    {
        var config = sets.Load(_dir.Path, "logger.save_checkpoint_freq=2");
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, null, (_, _) => new Diverging()).Run());
        Assert.Contains("the loss is NaN at iteration 3", e.Message);
        Assert.Contains("Lower train.optimizer.lr or set train.grad_clip", e.Message);
        Assert.Contains("iter_00000002", e.Message);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetFileName(from), Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(Path.Combine(to, Path.GetFileName(from)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetFileName(from), Path.GetRelativePath(from, file)));
    }
}
