using System.Text.RegularExpressions;

namespace Derain.Pipelines.Training.Config;

/// <summary>
/// One training experiment, read from a YAML file in the BasicSR manner: every section is a class whose
/// constructor arguments are the section's keys (<c>total_iter</c> ↔ <c>totalIter</c>), so the file documents the
/// code and the code the file. Values are checked where they are bound; <see cref="ExperimentFile.Load"/> names
/// the file, line and key of any mistake. Relative paths in the file are relative to the file's own folder
/// (<see cref="BaseDirectory"/>), so an experiment runs the same from any working directory.
/// </summary>
public sealed partial class ExperimentConfig
{
    public ExperimentConfig(string name, DatasetsConfig datasets, NetworkConfig network, TrainConfig train, ValConfig val,
        LoggerConfig? logger = null, PathConfig? path = null, ulong seed = 0)
    {
        if (!SafeName().IsMatch(name))
            throw new ConfigValueException("name", $"'{name}' cannot name a folder; use letters, digits, '_', '-' and '.', e.g. eevrsr_streaks");
        Name = name;
        Seed = seed;
        Datasets = datasets;
        Network = network;
        Train = train;
        Val = val;
        Logger = logger ?? new LoggerConfig();
        Path = path ?? new PathConfig();
    }

    /// <summary>The experiment's folder name under <see cref="PathConfig.Experiments"/>.</summary>
    public string Name { get; }

    /// <summary>Seed of the initial weights and of the training data's order and augmentation.</summary>
    public ulong Seed { get; }

    public DatasetsConfig Datasets { get; }

    public NetworkConfig Network { get; }

    public TrainConfig Train { get; }

    public ValConfig Val { get; }

    public LoggerConfig Logger { get; }

    public PathConfig Path { get; }

    /// <summary>The folder relative paths are resolved against (the YAML file's folder).</summary>
    public string BaseDirectory { get; internal set; } = Directory.GetCurrentDirectory();

    /// <summary>The YAML file this was read from, for messages (null when built in code).</summary>
    public string? SourceFile { get; internal set; }

    /// <summary>An absolute path: <paramref name="path"/> as given when absolute, else under <see cref="BaseDirectory"/>.</summary>
    public string Resolve(string path) => System.IO.Path.GetFullPath(path, BaseDirectory);

    /// <summary><c>&lt;experiments&gt;/&lt;name&gt;</c>.</summary>
    public string ExperimentDirectory => System.IO.Path.Combine(Resolve(Path.Experiments), Name);

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
    private static partial Regex SafeName();
}

/// <summary><c>datasets:</c> the training set and the held-out validation set.</summary>
public sealed class DatasetsConfig(TrainDatasetConfig train, ValDatasetConfig val)
{
    public TrainDatasetConfig Train { get; } = train;

    public ValDatasetConfig Val { get; } = val;
}

/// <summary>
/// <c>datasets.train:</c> the network's kind of set — streak pairs for EEVRSR (<c>derain synth --kind streaks</c>:
/// <c>gt/</c>, <c>lq/</c>, <c>mstreak/</c>), time-lapse scenes for MGID (<c>--kind timelapse</c>: <c>lq/</c>, and
/// <c>gt/</c> which training never reads) — rendered first from <see cref="Synthesize"/> when <see cref="Root"/> does
/// not exist. Each sample is optionally resized (<see cref="Resize"/>), then cropped to <c>train.patch_size</c> at a
/// random place and flipped as enabled here.
/// </summary>
public sealed class TrainDatasetConfig
{
    public TrainDatasetConfig(string root, SynthesizeConfig? synthesize = null, int workers = 2, int prefetch = 4,
        bool useHflip = true, bool useVflip = true, bool useTranspose = false, int? resize = null)
    {
        if (resize is < 1) throw new ConfigValueException("resize", $"must be a positive size in pixels, not {resize}; leave it out to keep the frames' size");
        if (string.IsNullOrWhiteSpace(root)) throw new ConfigValueException("root", "is empty; give the folder of the set, e.g. ../data/streaks_train");
        if (workers < 1) throw new ConfigValueException("workers", $"{workers} loader threads cannot work; use at least 1 (2 suits a 2-core machine)");
        if (prefetch < 1) throw new ConfigValueException("prefetch", $"must be at least 1 batch, not {prefetch}");
        Root = root;
        Synthesize = synthesize;
        Workers = workers;
        Prefetch = prefetch;
        UseHflip = useHflip;
        UseVflip = useVflip;
        UseTranspose = useTranspose;
        Resize = resize;
    }

    public string Root { get; }

    public SynthesizeConfig? Synthesize { get; }

    /// <summary>Loader threads (the batches do not depend on it).</summary>
    public int Workers { get; }

    /// <summary>Batches decoded ahead at most.</summary>
    public int Prefetch { get; }

    /// <summary>Mirror left–right with probability ½.</summary>
    public bool UseHflip { get; }

    /// <summary>Mirror top–bottom with probability ½ (a near-vertical streak stays near-vertical).</summary>
    public bool UseVflip { get; }

    /// <summary>Swap H and W with probability ½ — off by default: it turns vertical streaks horizontal.</summary>
    public bool UseTranspose { get; }

    /// <summary>
    /// Resize every frame to this square size (bilinear, half-pixel centres, no antialiasing, like cv2.resize) before
    /// the crop, whatever its aspect — MGID's Train.py resizes each frame to 256×256; null keeps the frames' size.
    /// </summary>
    public int? Resize { get; }
}

/// <summary>
/// <c>datasets.val:</c> the held-out set, made like the training set but from other clips and another seed, so the
/// scores measure rain and scenes the network has not seen.
/// </summary>
public sealed class ValDatasetConfig
{
    public ValDatasetConfig(string root, SynthesizeConfig? synthesize = null)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ConfigValueException("root", "is empty; give the folder of the set, e.g. ../data/streaks_val");
        Root = root;
        Synthesize = synthesize;
    }

    public string Root { get; }

    public SynthesizeConfig? Synthesize { get; }
}

/// <summary>
/// <c>synthesize:</c> how to render a missing dataset with <c>derain synth --kind streaks</c>: each entry of
/// <see cref="Sources"/> (a video, a frame folder, an image, or a folder of videos and frame folders) is one run
/// whose seed is drawn from <see cref="Seed"/> in list order, so the set rebuilds bit for bit.
/// </summary>
public sealed class SynthesizeConfig
{
    public SynthesizeConfig(IReadOnlyList<string> sources, string preset = "heavy", ulong seed = 0, int? frames = null, IReadOnlyList<string>? set = null)
    {
        if (sources.Count == 0) throw new ConfigValueException("sources", "is empty; list the clean videos or frame folders to render rain over");
        if (frames is < 1) throw new ConfigValueException("frames", $"must be at least 1 frame per video, not {frames}; leave it out to use every frame");
        try
        {
            var options = Derain.Data.Synthesis.RainPresets.Get(Derain.Data.Synthesis.RainPresets.Parse(preset));
            foreach (var assignment in set ?? []) options = Derain.Data.Synthesis.RainOptionKeys.Apply(options, assignment);
            options.Validate();
        }
        catch (Derain.Data.Synthesis.SynthesisException e)
        {
            throw new ConfigValueException(e.Message.Contains("preset", StringComparison.OrdinalIgnoreCase) ? "preset" : "set", e.Message);
        }
        Sources = sources;
        Preset = preset;
        Seed = seed;
        Frames = frames;
        Set = set ?? [];
    }

    public IReadOnlyList<string> Sources { get; }

    /// <summary>light, heavy, drops or mixed (drops are never rendered into streak pairs).</summary>
    public string Preset { get; }

    public ulong Seed { get; }

    /// <summary>At most this many frames per video (null: all).</summary>
    public int? Frames { get; }

    /// <summary><c>key=value</c> overrides as <c>derain synth --set</c> takes them.</summary>
    public IReadOnlyList<string> Set { get; }
}

/// <summary><c>network:</c> which architecture to train.</summary>
public sealed class NetworkConfig
{
    /// <summary>Network types this trainer builds.</summary>
    public static IReadOnlyList<string> Types { get; } = ["eevrsr", "mgid", "vimpnet"];

    /// <summary>EEVRSR variants: motion compensation + de-raining, or de-raining only.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["all", "derain_only"];

    public NetworkConfig(string type, string variant = "all", bool zeroInitResidual = false, int? midChannels = null, int? numBlocks = null,
        int? transformerChannels = null, int? transformerHidden = null, int? minSize = null, string? spynetPretrained = null)
    {
        foreach (var (key, value) in new[] { ("mid_channels", midChannels), ("num_blocks", numBlocks), ("transformer_channels", transformerChannels),
                     ("transformer_hidden", transformerHidden), ("min_size", minSize) })
        {
            if (value is null) continue;
            if (type != "vimpnet") throw new ConfigValueException(key, $"applies to vimpnet only; remove it for {type}");
            if (value < 1) throw new ConfigValueException(key, $"must be a positive number, not {value}");
        }
        if (spynetPretrained is not null && type != "vimpnet") throw new ConfigValueException("spynet_pretrained", $"applies to vimpnet only; remove it for {type}");
        if (!Types.Contains(type)) throw new ConfigValueException("type", $"unknown network '{type}'; use {string.Join(" or ", Types)}");
        if (!Variants.Contains(variant)) throw new ConfigValueException("variant", $"unknown variant '{variant}'; use {string.Join(" or ", Variants)}");
        if (type != "eevrsr" && (variant != "all" || zeroInitResidual))
            throw new ConfigValueException(variant != "all" ? "variant" : "zero_init_residual", $"applies to eevrsr only; remove it for {type}");
        Type = type;
        Variant = variant;
        ZeroInitResidual = zeroInitResidual;
        MidChannels = midChannels;
        NumBlocks = numBlocks;
        TransformerChannels = transformerChannels;
        TransformerHidden = transformerHidden;
        MinSize = minSize;
        SpynetPretrained = spynetPretrained;
    }

    /// <summary>ViMP-Net <c>mid_channels</c> (null: the official 64; a multiple of 8).</summary>
    public int? MidChannels { get; }

    /// <summary>ViMP-Net <c>num_blocks</c> of each propagation backbone (null: the official 9).</summary>
    public int? NumBlocks { get; }

    /// <summary>ViMP-Net stage-2 encoder channels (null: the official 256; a multiple of 16).</summary>
    public int? TransformerChannels { get; }

    /// <summary>ViMP-Net stage-2 token width (null: the official 512; a multiple of 4).</summary>
    public int? TransformerHidden { get; }

    /// <summary>ViMP-Net smallest frame side (null: the official 256; at least 64) — lower it only to train a reduced network on small crops.</summary>
    public int? MinSize { get; }

    /// <summary>ViMP-Net: BasicVSR's pretrained SPyNet (<c>spynet_20210409-c6c1bd09.pth</c>) to start the flow network from, as the official config does (null: random).</summary>
    public string? SpynetPretrained { get; }

    public string Type { get; }

    /// <summary>
    /// What validation scores: "RGB" for ViMP-Net (the official metrics/cal-iqa.py), "Y" (the luma) for the others —
    /// named in the console's validation lines and the plot's PSNR panel.
    /// </summary>
    public string ValidationChannel => Type == "vimpnet" ? "RGB" : "Y";

    public string Variant { get; }

    /// <summary>
    /// <c>zero_init_residual</c>: start the last convolution at zero so the untrained network returns its centre frame
    /// (see <see cref="Derain.Models.Eevrsr.EevrsrNet.ZeroInitResidual"/>). Off by default, as in the official code.
    /// </summary>
    public bool ZeroInitResidual { get; }
}

/// <summary><c>train:</c> optimiser, schedule, length, batch, patch and loss weights.</summary>
public sealed class TrainConfig
{
    public TrainConfig(OptimizerConfig optimizer, long totalIter, int batchSize, int patchSize, SchedulerConfig? scheduler = null,
        double motionWeight = 1.0, double smoothness = 0.01, double? gradClip = null,
        double gatheringWeight = 0.01, double whiteningWeight = 0.01, double ssimWeight = 0.5,
        double spynetLrMult = 0.25, long fixIter = 5000, bool checkpointBlocks = false)
    {
        if (!(spynetLrMult >= 0) || double.IsInfinity(spynetLrMult)) throw new ConfigValueException("spynet_lr_mult", $"must be a finite number ≥ 0, not {spynetLrMult}");
        if (fixIter < 0) throw new ConfigValueException("fix_iter", $"must be ≥ 0 iterations, not {fixIter}");
        foreach (var (key, value) in new[] { ("gathering_weight", gatheringWeight), ("whitening_weight", whiteningWeight), ("ssim_weight", ssimWeight) })
            if (!(value >= 0) || double.IsInfinity(value)) throw new ConfigValueException(key, $"must be a finite number ≥ 0, not {value}");
        if (totalIter < 1) throw new ConfigValueException("total_iter", $"must be at least 1 iteration, not {totalIter}");
        if (batchSize < 1) throw new ConfigValueException("batch_size", $"must be at least 1, not {batchSize}");
        if (patchSize < 4 || patchSize % 4 != 0)
            throw new ConfigValueException("patch_size", $"{patchSize} is not a positive multiple of 4 (the network halves the size twice); use e.g. {Math.Max(4, patchSize / 4 * 4)}");
        if (!(motionWeight >= 0) || double.IsInfinity(motionWeight)) throw new ConfigValueException("motion_weight", $"must be a finite number ≥ 0, not {motionWeight}");
        if (!(smoothness >= 0) || double.IsInfinity(smoothness)) throw new ConfigValueException("smoothness", $"must be a finite number ≥ 0, not {smoothness}");
        if (gradClip is double c && !(c > 0)) throw new ConfigValueException("grad_clip", $"must be a positive norm, not {c}; leave it out to train without clipping");
        Optimizer = optimizer;
        Scheduler = scheduler ?? new ConstantSchedulerConfig();
        TotalIter = totalIter;
        BatchSize = batchSize;
        PatchSize = patchSize;
        MotionWeight = motionWeight;
        Smoothness = smoothness;
        GradClip = gradClip;
        GatheringWeight = gatheringWeight;
        WhiteningWeight = whiteningWeight;
        SsimWeight = ssimWeight;
        SpynetLrMult = spynetLrMult;
        FixIter = fixIter;
        CheckpointBlocks = checkpointBlocks;
    }

    /// <summary>ViMP-Net: SPyNet's rate as a multiple of the scheduled one (paramwise_cfg lr_mult 0.25 officially).</summary>
    public double SpynetLrMult { get; }

    /// <summary>ViMP-Net: SPyNet is frozen for this many first iterations (train_cfg fix_iter, 5000 officially).</summary>
    public long FixIter { get; }

    /// <summary>ViMP-Net: recompute the propagation steps and the transformer during backward instead of keeping their
    /// activations (gradient checkpointing; less memory, about one more forward pass of time).</summary>
    public bool CheckpointBlocks { get; }

    public OptimizerConfig Optimizer { get; }

    public SchedulerConfig Scheduler { get; }

    /// <summary>Optimiser steps of the whole run.</summary>
    public long TotalIter { get; }

    /// <summary>Clips per step.</summary>
    public int BatchSize { get; }

    /// <summary>Side of the square training crop in pixels (a multiple of 4).</summary>
    public int PatchSize { get; }

    /// <summary>Weight of the motion-compensation loss (EEVRSR all only).</summary>
    public double MotionWeight { get; }

    /// <summary>Weight of the flow smoothness inside the motion-compensation loss.</summary>
    public double Smoothness { get; }

    /// <summary>Global gradient-norm clip (torch.nn.utils.clip_grad_norm_), or null.</summary>
    public double? GradClip { get; }

    /// <summary>MGID: weight of the memory's gathering loss (Train.py's --loss_compact 0.01).</summary>
    public double GatheringWeight { get; }

    /// <summary>MGID: weight of the BSW loss (Train.py's --loss_white 0.01).</summary>
    public double WhiteningWeight { get; }

    /// <summary>MGID: weight of −SSIM(d₁, d₂) (0.5 in Train.py).</summary>
    public double SsimWeight { get; }
}

/// <summary><c>train.optimizer:</c> Adam (torch.optim.Adam) or AdamW.</summary>
public sealed class OptimizerConfig
{
    public static IReadOnlyList<string> Types { get; } = ["adam", "adamw"];

    public OptimizerConfig(double lr, string type = "adam", IReadOnlyList<double>? betas = null, double eps = 1e-8, double weightDecay = 0)
    {
        if (!Types.Contains(type)) throw new ConfigValueException("type", $"unknown optimiser '{type}'; use {string.Join(" or ", Types)}");
        if (!(lr > 0) || double.IsInfinity(lr)) throw new ConfigValueException("lr", $"must be a positive learning rate, not {lr}; e.g. 1.0e-4");
        betas ??= [0.9, 0.999];
        if (betas.Count != 2 || betas.Any(b => !(b >= 0 && b < 1)))
            throw new ConfigValueException("betas", $"must be two numbers in [0, 1), e.g. [0.9, 0.999], not [{string.Join(", ", betas)}]");
        if (!(eps > 0)) throw new ConfigValueException("eps", $"must be positive, not {eps}");
        if (!(weightDecay >= 0)) throw new ConfigValueException("weight_decay", $"must be ≥ 0, not {weightDecay}");
        Type = type;
        Lr = lr;
        Betas = betas;
        Eps = eps;
        WeightDecay = weightDecay;
    }

    public string Type { get; }

    /// <summary>Base learning rate (the schedule scales it).</summary>
    public double Lr { get; }

    public IReadOnlyList<double> Betas { get; }

    public double Eps { get; }

    public double WeightDecay { get; }
}

/// <summary><c>val:</c> how often and on how much of the held-out set to measure PSNR/SSIM.</summary>
public sealed class ValConfig
{
    public static IReadOnlyList<string> KnownMetrics { get; } = ["psnr", "ssim"];

    public ValConfig(long freq, int? maxClips = null, int? crop = null, IReadOnlyList<string>? metrics = null)
    {
        if (freq < 1) throw new ConfigValueException("freq", $"must be at least 1 iteration, not {freq}");
        if (maxClips is < 1) throw new ConfigValueException("max_clips", $"must be at least 1, not {maxClips}; leave it out to use every clip");
        if (crop is int c && (c < 4 || c % 4 != 0))
            throw new ConfigValueException("crop", $"{c} is not a positive multiple of 4; use e.g. {Math.Max(4, c / 4 * 4)}, or leave it out to use whole frames");
        metrics ??= KnownMetrics;
        if (metrics.Count == 0) throw new ConfigValueException("metrics", "is empty; list psnr, ssim or both");
        foreach (var m in metrics)
            if (!KnownMetrics.Contains(m)) throw new ConfigValueException("metrics", $"unknown metric '{m}'; use psnr and/or ssim");
        Freq = freq;
        MaxClips = maxClips;
        Crop = crop;
        Metrics = metrics;
    }

    /// <summary>Validate every this many iterations (and at the end).</summary>
    public long Freq { get; }

    /// <summary>At most this many clips, evenly spaced over the set (null: all).</summary>
    public int? MaxClips { get; }

    /// <summary>Side of the centre crop measured (null: the whole frame, cut down to a multiple of 4).</summary>
    public int? Crop { get; }

    public IReadOnlyList<string> Metrics { get; }
}

/// <summary><c>logger:</c> how often to log and to write checkpoints.</summary>
public sealed class LoggerConfig
{
    public LoggerConfig(long printFreq = 100, long saveCheckpointFreq = 5000)
    {
        if (printFreq < 1) throw new ConfigValueException("print_freq", $"must be at least 1 iteration, not {printFreq}");
        if (saveCheckpointFreq < 1) throw new ConfigValueException("save_checkpoint_freq", $"must be at least 1 iteration, not {saveCheckpointFreq}");
        PrintFreq = printFreq;
        SaveCheckpointFreq = saveCheckpointFreq;
    }

    public long PrintFreq { get; }

    public long SaveCheckpointFreq { get; }
}

/// <summary><c>path:</c> where experiments live and whether to continue one.</summary>
public sealed class PathConfig
{
    public PathConfig(string experiments = "experiments", string resume = "auto", string? pretrainNetwork = null)
    {
        if (string.IsNullOrWhiteSpace(experiments)) throw new ConfigValueException("experiments", "is empty; give a folder, e.g. ../experiments");
        if (string.IsNullOrWhiteSpace(resume)) throw new ConfigValueException("resume", "is empty; use auto, none or the path of a checkpoint folder");
        Experiments = experiments;
        Resume = resume;
        if (pretrainNetwork is not null && string.IsNullOrWhiteSpace(pretrainNetwork))
            throw new ConfigValueException("pretrain_network", "is empty; give a weights file to start from, or leave the key out to start from random weights");
        PretrainNetwork = pretrainNetwork;
    }

    /// <summary>Folder holding one sub-folder per experiment.</summary>
    public string Experiments { get; }

    /// <summary>
    /// <c>auto</c>: continue from the latest complete checkpoint of this experiment if there is one;
    /// <c>none</c>: start from scratch (refused when the experiment already has checkpoints);
    /// otherwise the path of a checkpoint folder (or a file in it) to continue from.
    /// </summary>
    public string Resume { get; }

    /// <summary>
    /// Weights the network starts from instead of its random initialisation (BasicSR's <c>pretrain_network_g</c>):
    /// any file <c>derain run</c> takes for the network (official checkpoints, <c>.safetensors</c> from
    /// <c>derain train</c>). Only a fresh start reads it; a resumed run continues from its checkpoint's weights.
    /// </summary>
    public string? PretrainNetwork { get; }
}
