using Derain.NN.Checkpoints;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Logging;
using Derain.Pipelines.Training.Networks;
using Derain.Tensors;

using static Derain.Pipelines.Tests.Infrastructure.TrainingRuns;

namespace Derain.Pipelines.Tests.Training;

/// <summary>
/// ViMP-Net trained by the same trainer on the tiny VRDS sets of configs/vimpnet-tiny.yaml (reduced width, 64×64
/// crops, batch 2, 12 iterations, SPyNet frozen for the first 4): the loss comes down and is the weighted sum of its
/// five terms, SPyNet stays at its initial weights while frozen and trains afterwards, and a run stopped and resumed
/// writes the same log bit for bit and ends with the same weights.
/// </summary>
[Collection(VimpnetTinySetsCollection.Name)]
public sealed class VimpnetTrainerTests(VimpnetTinySets sets) : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_tiny_run_lowers_its_loss_as_the_sum_of_the_five_weighted_terms()
    {
        var straight = sets.Straight;
        Assert.Equal(TrainingStatus.Completed, straight.Status);
        var log = TrainingLog.Read(Path.Combine(straight.ExperimentDirectory, TrainingLog.JsonFile));
        var train = log.Where(e => e.Kind == LogEntry.Train).ToList();
        Assert.Equal(12, train.Count);
        double first = train.Take(3).Average(e => e["loss"]!.Value), last = train.TakeLast(3).Average(e => e["loss"]!.Value);
        Assert.True(last < first - 0.1, $"12 iterations should bring the loss down: mean of the first three {first}, of the last three {last}");
        // The logged terms are already weighted (as the official log_vars), so they add up to the total.
        Assert.All(train, e => Assert.Equal(
            e["loss_pix"]!.Value + e["loss_mask"]!.Value + e["loss_reconstruct"]!.Value + e["loss_hole"]!.Value + e["loss_streak"]!.Value,
            e["loss"]!.Value, 5));
        var val = log.Where(e => e.Kind == LogEntry.Validation).ToList();
        Assert.Equal([6L, 12L], val.Select(e => e.Iteration));
        Assert.All(val, e => Assert.True(e["psnr"] is > 0 and < 100 && e["input_psnr"] is > 0 and < 100));
    }

    [Fact]
    public void SPyNet_keeps_its_initial_weights_while_frozen_then_trains_at_a_quarter_rate()
    {
        var straight = sets.Straight;
        var config = sets.Load(_dir["init"]);
        // The trainer's initial weights: the first draw of the experiment's seed.
        var initial = VimpnetTraining.FromConfig(config, new Generator(new Generator(config.Seed).NextUInt64()));
        var at4 = Weights(Path.Combine(straight.ExperimentDirectory, "checkpoints", "iter_00000004", CheckpointStore.WeightsFile));
        var at8 = Weights(Path.Combine(straight.ExperimentDirectory, "checkpoints", "iter_00000008", CheckpointStore.WeightsFile));
        int changedAt8 = 0;
        foreach (var (name, parameter) in initial.Net.NamedParameters().Where(p => p.Name.StartsWith("spynet.", StringComparison.Ordinal)))
        {
            var start = parameter.Data.ToArray();
            Assert.True(start.AsSpan().SequenceEqual(at4[name]), $"{name} changed while SPyNet was frozen (fix_iter 4)");
            if (!start.AsSpan().SequenceEqual(at8[name])) changedAt8++;
        }
        Assert.True(changedAt8 > 0, "SPyNet should train after fix_iter");
        // The rest of the network trains from the first step.
        var conv = initial.Net.NamedParameters().First(p => p.Name == "feat_extract.0.weight").Parameter.Data.ToArray();
        Assert.False(conv.AsSpan().SequenceEqual(at4["feat_extract.0.weight"]));
        var groups = initial.ParameterGroups();
        Assert.Equal(0.25, groups.Single(g => g.Name == "spynet").LrMultiplier);
        Assert.Equal(4, groups.Single(g => g.Name == "spynet").FrozenUntilStep);
    }

    [Fact]
    public void A_stopped_and_resumed_run_equals_the_uninterrupted_one()
    {
        var straight = sets.Straight;
        var reference = Deterministic(straight.ExperimentDirectory);
        var stopped = Train(sets.Load(_dir["resumed"]), stopAfter: 5);
        Assert.Equal(TrainingStatus.Interrupted, stopped.Status);
        Assert.Equal(5, stopped.Iteration);
        var resumed = Train(sets.Load(_dir["resumed"]));
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(reference, Deterministic(resumed.ExperimentDirectory));
        var expected = Weights(Path.Combine(straight.ExperimentDirectory, "models", Trainer.LastModel));
        var actual = Weights(Path.Combine(resumed.ExperimentDirectory, "models", Trainer.LastModel));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected) Assert.True(values.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }

    [Fact]
    public void Network_keys_bind_and_mistakes_are_refused_with_the_fix()
    {
        var config = sets.Load(_dir["keys"]);
        Assert.Equal("vimpnet", config.Network.Type);
        Assert.Equal((8, 1, 16, 16, 64), (config.Network.MidChannels, config.Network.NumBlocks, config.Network.TransformerChannels, config.Network.TransformerHidden, config.Network.MinSize));
        Assert.Equal((0.25, 4L, false), (config.Train.SpynetLrMult, config.Train.FixIter, config.Train.CheckpointBlocks));
        var net = VimpnetTraining.FromConfig(config, new Generator(0));
        Assert.Equal(8, net.Net.Options.MidChannels);

        var small = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["small"], "network.min_size=256")));
        Assert.Contains("train.patch_size: 64 is below the network's minimum frame size 256", small.Message);
        var odd = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["odd"], "network.mid_channels=12")));
        Assert.Contains("mid_channels must be a positive multiple of 8", odd.Message);
        var spynet = Assert.Throws<ConfigException>(() => Train(sets.Load(_dir["spynet"], "network.spynet_pretrained=missing.pth")));
        Assert.Contains("network.spynet_pretrained", spynet.Message);
    }

    [Fact]
    public void The_official_recipe_binds_as_the_official_config_says()
    {
        var c = ExperimentFile.Load(Repository.Config("vimpnet.yaml"));
        Assert.Equal("vimpnet", c.Network.Type);
        Assert.Null(c.Network.MidChannels);
        Assert.Equal((1e-4, 0.9, 0.99), (c.Train.Optimizer.Lr, c.Train.Optimizer.Betas[0], c.Train.Optimizer.Betas[1]));
        var schedule = Assert.IsType<CosineRestartSchedulerConfig>(c.Train.Scheduler);
        Assert.Equal([500000L], schedule.Periods);
        Assert.Equal(1e-9, schedule.EtaMin);
        Assert.Equal((500000L, 256, 1, 0.25, 5000L), (c.Train.TotalIter, c.Train.PatchSize, c.Train.BatchSize, c.Train.SpynetLrMult, c.Train.FixIter));
        Assert.True(c.Datasets.Train.UseHflip && c.Datasets.Train.UseVflip && c.Datasets.Train.UseTranspose);
        Assert.True(c.Train.CheckpointBlocks);

        var e = Assert.Throws<ConfigException>(() => ExperimentFile.Load(Repository.Config("eevrsr-tiny.yaml"), ["network.mid_channels=8"]));
        Assert.Contains("applies to vimpnet only", e.Message);
    }
}
