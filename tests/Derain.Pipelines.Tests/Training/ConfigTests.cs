using Derain.Pipelines.Tests.Infrastructure;
using Derain.Pipelines.Training.Config;

namespace Derain.Pipelines.Tests.Training;

/// <summary>Experiment files: the shipped ones bind as written, and every kind of mistake names its line, key and fix.</summary>
public sealed class ConfigTests
{
    private const string Minimal = """
        name: t
        datasets:
          train: {root: train}
          val: {root: val}
        network: {type: eevrsr}
        train:
          optimizer: {lr: 1.0e-4}
          total_iter: 10
          batch_size: 2
          patch_size: 32
        val: {freq: 5}
        """;

    private static ConfigException Fails(string yaml, params string[] overrides)
        => Assert.Throws<ConfigException>(() => ExperimentFile.Parse(yaml, "x.yaml", overrides));

    [Fact]
    public void The_default_model_config_binds_to_the_model_cards_recipe()
    {
        // models/eevrsr/README.md documents this recipe; the file is what made the committed weights.
        var c = ExperimentFile.Load(Repository.Config("eevrsr.yaml"));
        Assert.Equal("eevrsr_default", c.Name);
        Assert.Equal(("eevrsr", "all", true), (c.Network.Type, c.Network.Variant, c.Network.ZeroInitResidual));
        Assert.Equal((8, 96, 1600L), (c.Train.BatchSize, c.Train.PatchSize, c.Train.TotalIter));
        Assert.Equal(4e-4, c.Train.Optimizer.Lr);
        Assert.IsType<CosineSchedulerConfig>(c.Train.Scheduler);
        Assert.Null(c.Datasets.Train.Synthesize);
        Assert.Equal(Path.Combine(Repository.Root, "data", "eevrsr", "train"), c.Resolve(c.Datasets.Train.Root));
        Assert.Equal(Path.Combine(Repository.Root, "data", "eevrsr", "val"), c.Resolve(c.Datasets.Val.Root));
    }

    [Fact]
    public void The_self_rendering_eevrsr_config_binds_to_the_documented_recipe()
    {
        string path = Repository.Config("eevrsr-synth.yaml");
        var c = ExperimentFile.Load(path);
        Assert.Equal("eevrsr_streaks", c.Name);
        Assert.Equal(("eevrsr", "all"), (c.Network.Type, c.Network.Variant));
        Assert.Equal(8, c.Train.BatchSize);
        Assert.Equal(128, c.Train.PatchSize);
        Assert.Equal("adam", c.Train.Optimizer.Type);
        Assert.Equal([0.9, 0.999], c.Train.Optimizer.Betas);
        Assert.IsType<CosineSchedulerConfig>(c.Train.Scheduler);
        Assert.Equal(1.0, c.Train.MotionWeight);
        Assert.Equal(0.01, c.Train.Smoothness);
        Assert.Null(c.Train.GradClip);
        Assert.False(c.Datasets.Train.UseTranspose);
        Assert.Equal("auto", c.Path.Resume);
        // Train and validation sets come from different clips and seeds.
        var train = c.Datasets.Train.Synthesize!;
        var val = c.Datasets.Val.Synthesize!;
        Assert.NotEqual(train.Seed, val.Seed);
        Assert.Empty(train.Sources.Intersect(val.Sources));
        Assert.All(val.Sources, s => Assert.Contains("vid4", s));
        // Relative paths are taken from the file's folder, so they reach ../shared beside the repository.
        Assert.Equal(Path.Combine(Repository.Root, "data", "eevrsr_streaks_train"), c.Resolve(c.Datasets.Train.Root));
        Assert.True(Directory.Exists(c.Resolve(train.Sources[0])), c.Resolve(train.Sources[0]));
        Assert.All(val.Sources, s => Assert.True(Directory.Exists(c.Resolve(s)), c.Resolve(s)));
    }

    [Fact]
    public void The_mgid_config_binds_to_train_py_s_recipe()
    {
        var c = ExperimentFile.Load(Repository.Config("mgid.yaml"));
        Assert.Equal("mgid", c.Network.Type);
        Assert.Equal(("adam", 2e-4), (c.Train.Optimizer.Type, c.Train.Optimizer.Lr));
        Assert.IsType<ConstantSchedulerConfig>(c.Train.Scheduler);
        // Frames resized to 256 as Train.py; the 128 crop is the default model's documented compute-bound deviation.
        Assert.Equal((8, 128, 256), (c.Train.BatchSize, c.Train.PatchSize, c.Datasets.Train.Resize!.Value));
        Assert.False(c.Datasets.Train.UseHflip || c.Datasets.Train.UseVflip || c.Datasets.Train.UseTranspose);
        Assert.Equal((0.01, 0.01, 0.5), (c.Train.GatheringWeight, c.Train.WhiteningWeight, c.Train.SsimWeight));
        Assert.Equal(Path.Combine(Repository.Root, "data", "mgid", "train"), c.Resolve(c.Datasets.Train.Root));

        var tiny = ExperimentFile.Load(Repository.Config("mgid-tiny.yaml"));
        Assert.Equal(("mgid", 64, 12L), (tiny.Network.Type, tiny.Datasets.Train.Resize!.Value, tiny.Train.TotalIter));
    }

    [Fact]
    public void Mgid_keys_are_checked_and_eevrsr_only_keys_refused()
    {
        var c = ExperimentFile.Parse(Minimal, "x.yaml", ["network.type=mgid", "datasets.train.resize=64", "train.ssim_weight=0.25"]);
        Assert.Equal(("mgid", 64, 0.25, 0.01), (c.Network.Type, c.Datasets.Train.Resize!.Value, c.Train.SsimWeight, c.Train.GatheringWeight));
        Assert.Null(ExperimentFile.Parse(Minimal, "x.yaml").Datasets.Train.Resize);
        Assert.Contains("network.variant: applies to eevrsr only; remove it for mgid", Fails(Minimal, "network.type=mgid", "network.variant=derain_only").Message);
        Assert.Contains("network.zero_init_residual: applies to eevrsr only", Fails(Minimal, "network.type=mgid", "network.zero_init_residual=true").Message);
        Assert.Contains("datasets.train.resize: must be a positive size", Fails(Minimal, "datasets.train.resize=0").Message);
        Assert.Contains("train.whitening_weight: must be a finite number ≥ 0", Fails(Minimal, "train.whitening_weight=-1").Message);
        Assert.Contains("network.type: unknown network 'mgidx'; use eevrsr or mgid", Fails(Minimal, "network.type=mgidx").Message);
    }

    [Fact]
    public void The_tiny_config_is_tiny()
    {
        var c = ExperimentFile.Load(Repository.Config("eevrsr-tiny.yaml"));
        Assert.True(c.Train.TotalIter <= 16 && c.Train.BatchSize <= 2 && c.Train.PatchSize <= 32);
        Assert.All(c.Datasets.Train.Synthesize!.Sources, s => Assert.True(File.Exists(c.Resolve(s)), c.Resolve(s)));
    }

    [Fact]
    public void Defaults_fill_what_the_file_leaves_out()
    {
        var c = ExperimentFile.Parse(Minimal);
        Assert.Equal(0UL, c.Seed);
        Assert.Equal("all", c.Network.Variant);
        Assert.IsType<ConstantSchedulerConfig>(c.Train.Scheduler);
        Assert.Equal(100, c.Logger.PrintFreq);
        Assert.Equal(["psnr", "ssim"], c.Val.Metrics);
        Assert.Equal("experiments", c.Path.Experiments);
    }

    [Fact]
    public void An_unknown_key_names_its_line_and_the_near_miss()
    {
        var e = Fails(Minimal.Replace("  total_iter: 10", "  total_iters: 10"));
        Assert.Equal("x.yaml:8: train.total_iters: is not a known key (did you mean total_iter?); train takes optimizer, total_iter, batch_size, patch_size, scheduler, motion_weight, smoothness, grad_clip, gathering_weight, whitening_weight, ssim_weight, spynet_lr_mult, fix_iter, checkpoint_blocks", e.Message);
        e = Fails(Minimal.Replace("  batch_size: 2", "  batchSize: 2"));
        Assert.Contains("train.batchSize: is not a known key (did you mean batch_size?)", e.Message);
    }

    [Fact]
    public void A_value_out_of_range_names_the_key_and_what_to_write()
    {
        var e = Fails(Minimal.Replace("patch_size: 32", "patch_size: 130"));
        Assert.Equal("x.yaml:10: train.patch_size: 130 is not a positive multiple of 4 (the network halves the size twice); use e.g. 128", e.Message);
        e = Fails(Minimal.Replace("network: {type: eevrsr}", "network: {type: eevrsr, variant: derain}"));
        Assert.Contains("network.variant: unknown variant 'derain'; use all or derain_only", e.Message);
        e = Fails(Minimal.Replace("val: {freq: 5}", "val: {freq: 5, metrics: [psnr, lpips]}"));
        Assert.Contains("val.metrics: unknown metric 'lpips'", e.Message);
        e = Fails(Minimal.Replace("name: t", "name: a/b"));
        Assert.Contains("name: 'a/b' cannot name a folder", e.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_kind_says_what_kind_is_expected()
    {
        Assert.Equal("x.yaml:7: train.optimizer.lr: 'fast' is not a number; write e.g. 0.5 or 1.0e-4",
            Fails(Minimal.Replace("lr: 1.0e-4", "lr: fast")).Message);
        Assert.Contains("train.batch_size: '2.5' is not a whole number", Fails(Minimal.Replace("batch_size: 2", "batch_size: 2.5")).Message);
        Assert.Contains("datasets.train.use_hflip: 'maybe' is not true or false",
            Fails(Minimal.Replace("train: {root: train}", "train: {root: train, use_hflip: maybe}")).Message);
        Assert.Contains("train.optimizer.betas: must be a list", Fails(Minimal.Replace("lr: 1.0e-4", "lr: 1.0e-4, betas: 0.9")).Message);
        Assert.Contains("val: must be a section with the keys freq, max_clips, crop, metrics", Fails(Minimal.Replace("val: {freq: 5}", "val: 5")).Message);
    }

    [Fact]
    public void Whole_numbers_may_be_written_in_exponent_form()
    {
        var c = ExperimentFile.Parse(Minimal.Replace("total_iter: 10", "total_iter: 1e5"));
        Assert.Equal(100000, c.Train.TotalIter);
        c = ExperimentFile.Parse(Minimal.Replace("total_iter: 10", "total_iter: 300_000"));
        Assert.Equal(300000, c.Train.TotalIter);
    }

    [Fact]
    public void A_missing_required_key_is_named()
    {
        var e = Fails(Minimal.Replace("  total_iter: 10\n", ""));
        Assert.Equal("x.yaml:7: train.total_iter: is missing; add it (a whole number)", e.Message);
        e = Fails(Minimal.Replace("network: {type: eevrsr}\n", ""));
        Assert.Contains("network: is missing; add it (a section with the keys type, variant, zero_init_residual, mid_channels, num_blocks, transformer_channels, transformer_hidden, min_size, spynet_pretrained)", e.Message);
    }

    [Fact]
    public void The_scheduler_type_selects_its_own_keys()
    {
        var c = ExperimentFile.Parse(Minimal.Replace("  total_iter: 10", "  total_iter: 10\n  scheduler: {type: multistep, milestones: [4, 8], gamma: 0.1}"));
        var s = Assert.IsType<MultiStepSchedulerConfig>(c.Train.Scheduler);
        var schedule = s.Build(10);
        Assert.Equal(1.0, schedule.LearningRate(1.0, 3));
        Assert.Equal(0.1, schedule.LearningRate(1.0, 4), 12);
        Assert.Equal(0.01, schedule.LearningRate(1.0, 9), 12);

        var e = Fails(Minimal.Replace("  total_iter: 10", "  total_iter: 10\n  scheduler: {type: cosine, milestones: [4]}"));
        Assert.Contains("train.scheduler.milestones: is not a known key; train.scheduler takes t_max, eta_min, warmup_iter, warmup_ratio", e.Message);
        e = Fails(Minimal.Replace("  total_iter: 10", "  total_iter: 10\n  scheduler: {type: cosin}"));
        Assert.Contains("train.scheduler.type: unknown type 'cosin' (did you mean cosine?); use one of constant, cosine, multistep, cosine_restart", e.Message);
        e = Fails(Minimal.Replace("  total_iter: 10", "  total_iter: 10\n  scheduler: {eta_min: 0}"));
        Assert.Contains("train.scheduler.type: is missing", e.Message);
    }

    [Fact]
    public void Overrides_are_applied_and_checked_like_the_file()
    {
        var c = ExperimentFile.Parse(Minimal, "x.yaml", ["train.total_iter=20", "name=smoke", "train.grad_clip=0.5", "logger.print_freq=1", "val.metrics=[psnr]"]);
        Assert.Equal(20, c.Train.TotalIter);
        Assert.Equal("smoke", c.Name);
        Assert.Equal(0.5, c.Train.GradClip);
        Assert.Equal(1, c.Logger.PrintFreq);
        Assert.Equal(["psnr"], c.Val.Metrics);

        Assert.Equal("x.yaml (--set): train.patch_size: 30 is not a positive multiple of 4 (the network halves the size twice); use e.g. 28",
            Fails(Minimal, "train.patch_size=30").Message);
        Assert.Contains("train.optimizer.lrr: is not a known key (did you mean lr?)", Fails(Minimal, "train.optimizer.lrr=1").Message);
        Assert.Contains("write key.path=value", Fails(Minimal, "train.total_iter").Message);
        Assert.Contains("train.total_iter is a value, not a section", Fails(Minimal, "train.total_iter.x=1").Message);
    }

    [Fact]
    public void Synthesis_settings_are_checked_when_the_file_is_read()
    {
        string block = "train: {root: train, synthesize: {sources: [a], preset: stormy}}";
        Assert.Contains("datasets.train.synthesize.preset: Unknown preset 'stormy'", Fails(Minimal.Replace("train: {root: train}", block)).Message);
        block = "train: {root: train, synthesize: {sources: [a], set: [wind.range=500]}}";
        Assert.Contains("datasets.train.synthesize.set:", Fails(Minimal.Replace("train: {root: train}", block)).Message);
        block = "train: {root: train, synthesize: {sources: []}}";
        Assert.Contains("datasets.train.synthesize.sources: is empty", Fails(Minimal.Replace("train: {root: train}", block)).Message);
    }

    [Fact]
    public void Broken_yaml_and_missing_files_are_one_clear_line()
    {
        Assert.StartsWith("x.yaml:2: not valid YAML", Fails("name: t\n  datasets: [\n").Message);
        Assert.Contains("an experiment file is a YAML mapping", Fails("- a\n- b\n").Message);
        var e = Assert.Throws<ConfigException>(() => ExperimentFile.Load("/nonexistent/e.yaml"));
        Assert.Contains("/nonexistent/e.yaml: no such file", e.Message);
    }
}
