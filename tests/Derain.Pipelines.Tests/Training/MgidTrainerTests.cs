using Derain.Models.Mgid;
using Derain.NN.Checkpoints;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Logging;

using static Derain.Pipelines.Tests.Infrastructure.TrainingRuns;

namespace Derain.Pipelines.Tests.Training;

/// <summary>
/// MGID trained by the same trainer on the tiny time-lapse sets of configs/mgid-tiny.yaml (64×64 pairs, batch 2,
/// 12 iterations): the loss comes down, the memory items change and travel in the checkpoints, and a run stopped
/// and resumed (or killed) writes the same log bit for bit and ends with the same weights and memory.
/// </summary>
[Collection(MgidTinySetsCollection.Name)]
public sealed class MgidTrainerTests(MgidTinySets sets) : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_tiny_run_lowers_its_loss_and_updates_the_memory()
    {
        var straight = sets.Straight;
        Assert.Equal(TrainingStatus.Completed, straight.Status);
        var train = TrainingLog.Read(Path.Combine(straight.ExperimentDirectory, TrainingLog.JsonFile)).Where(e => e.Kind == LogEntry.Train).ToList();
        Assert.Equal(12, train.Count);
        double first = train.Take(3).Average(e => e["loss"]!.Value), last = train.TakeLast(3).Average(e => e["loss"]!.Value);
        Assert.True(last < first - 0.2, $"12 iterations should bring the loss down: mean of the first three {first}, of the last three {last}");
        foreach (var term in new[] { "loss_pixel", "loss_tex", "loss_same", "loss_gather", "loss_bsw", "ssim_pair" })
            Assert.All(train, e => Assert.True(double.IsFinite(e[term]!.Value), term));
        // Total = pixel + tex + same + 0.01 gather + 0.01 bsw − 0.5 ssim, entry by entry (the log's means are linear).
        Assert.All(train, e => Assert.Equal(
            e["loss_pixel"]!.Value + e["loss_tex"]!.Value + e["loss_same"]!.Value + 0.01 * e["loss_gather"]!.Value + 0.01 * e["loss_bsw"]!.Value - 0.5 * e["ssim_pair"]!.Value,
            e["loss"]!.Value, 5));

        // The memory is not learned but carried: the delivered weights hold one that differs from the initial one
        // (normalize(rand) from the seed), still of unit rows.
        var delivered = MgidCheckpoint.Load(Path.Combine(straight.ExperimentDirectory, "models", Trainer.LastModel));
        var memory = delivered.MemoryItems.Data.ToArray();
        var initial = new MgidNet(new Derain.Tensors.Generator(new Derain.Tensors.Generator(7).NextUInt64())).MemoryItems.Data.ToArray();
        Assert.False(memory.AsSpan().SequenceEqual(initial), "the memory items never changed");
        for (int i = 0; i < MgidNet.MemorySize; i++)
            Assert.Equal(1.0, Math.Sqrt(memory.AsSpan(i * MgidNet.FeatureDim, MgidNet.FeatureDim).ToArray().Sum(v => (double)v * v)), 5);
        var val = TrainingLog.Read(Path.Combine(straight.ExperimentDirectory, TrainingLog.JsonFile)).Where(e => e.Kind == LogEntry.Validation).ToList();
        Assert.Equal(2, val.Count);
        Assert.All(val, v => Assert.True(v["psnr"] > 10 && v["input_psnr"] > 10 && v["ssim"] > 0, "validation scores are real PSNR/SSIM"));
        // The SSIM(d₁, d₂) term must not share a column with the validation SSIM: train rows would fill both.
        var header = File.ReadLines(Path.Combine(straight.ExperimentDirectory, TrainingLog.CsvFile)).First().Split(',');
        Assert.Equal(header.Length, header.Distinct().Count());
        Assert.All(train, e => Assert.Null(e["ssim"]));
    }

    [Fact]
    public void Stopped_or_killed_and_resumed_runs_equal_the_uninterrupted_one_memory_included()
    {
        var straight = sets.Straight;
        var reference = Deterministic(straight.ExperimentDirectory);
        string lastModel = Path.Combine(straight.ExperimentDirectory, "models", Trainer.LastModel);
        Assert.Contains("memory_items", Weights(Path.Combine(straight.ExperimentDirectory, "checkpoints", "iter_00000004", CheckpointStore.WeightsFile)).Keys);

        // Ctrl+C after iteration 5, between two periodic checkpoints; a new trainer continues.
        var stopped = Train(sets.Load(_dir["resumed"]), stopAfter: 5);
        Assert.Equal(TrainingStatus.Interrupted, stopped.Status);
        Assert.Equal(5, stopped.Iteration);
        var resumed = Train(sets.Load(_dir["resumed"]));
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(reference, Deterministic(resumed.ExperimentDirectory));
        SameWeights(lastModel, Path.Combine(resumed.ExperimentDirectory, "models", Trainer.LastModel));

        // As after kill -9 at iteration 10: the newest checkpoint is 8 and the log ends in half a line.
        string killed = _dir["killed"];
        string copy = Path.Combine(killed, "mgid_tiny");
        foreach (var file in Directory.EnumerateFiles(straight.ExperimentDirectory, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(straight.ExperimentDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        Directory.Delete(Path.Combine(copy, "checkpoints", "iter_00000012"), recursive: true);
        var lines = File.ReadAllLines(Path.Combine(copy, TrainingLog.JsonFile)).Where(l => !l.Contains("\"iter\":11") && !l.Contains("\"iter\":12")).ToList();
        File.WriteAllText(Path.Combine(copy, TrainingLog.JsonFile), string.Join('\n', lines) + "\n{\"kind\":\"train\",\"iter\":11,\"epo");
        var afterKill = Train(sets.Load(killed));
        Assert.Equal(12, afterKill.Iteration);
        Assert.Equal(reference, Deterministic(afterKill.ExperimentDirectory));
        SameWeights(lastModel, Path.Combine(afterKill.ExperimentDirectory, "models", Trainer.LastModel));
    }

    [Fact]
    public void A_patch_size_mgid_cannot_pool_is_refused_with_the_fix()
    {
        var e = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["bad"], "train.patch_size=60")));
        Assert.Contains("train.patch_size: 60 is not a multiple of 8", e.Message);
    }
}
