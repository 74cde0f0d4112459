using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Models.Vimpnet;
using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Networks;

/// <summary>
/// ViMP-Net as the trainer sees it, the official <c>DrainNet.train_step</c> with the config
/// <c>configs/derainers/ViMPNet/ViMPNet.py</c>:
/// <list type="bullet">
/// <item>Data: VRDS-layout sets (<c>derain synth --kind vrds</c>, or a VRDS download): every sample is
/// <see cref="Frames"/> consecutive frames of lq, gt, drop, 01drop and mstreak, cropped and flipped/transposed
/// identically for all five keys by the loader (the official PairedRandomCrop, Flip ×2, RandomTransposeHW).</item>
/// <item>Loss: <see cref="VimpnetLoss"/> (five terms; logged after weighting as loss_pix, loss_mask,
/// loss_reconstruct, loss_hole, loss_streak, like the official log).</item>
/// <item>Optimiser groups: SPyNet at <c>train.spynet_lr_mult</c> (0.25, the config's paramwise_cfg) × the scheduled rate,
/// frozen for the first <c>train.fix_iter</c> iterations (5000): its parameters then need no gradient, so backward
/// does not enter the flow network at all, as with the official requires_grad_(False); from iteration fix_iter on it
/// trains. Everything else at the scheduled rate.</item>
/// <item>Memory: with <c>train.checkpoint_blocks</c> the propagation steps and the transformer keep only their inputs
/// during the forward pass and recompute their insides during backward (<see cref="VimpnetNet.Checkpointing"/>).</item>
/// <item>Validation: RGB PSNR/SSIM of the centre frame of held-out clips (<see cref="RgbClipValidationSet"/>).</item>
/// </list>
/// </summary>
public sealed class VimpnetTraining : ITrainableNetwork
{
    /// <summary>Frames per training clip (the config's num_input_frames).</summary>
    public const int Frames = 5;

    private readonly VimpnetNet _net;
    private readonly VimpnetLoss _loss = new();
    private readonly double _spynetLrMult;
    private readonly long _fixIter;

    public VimpnetTraining(Generator generator, VimpnetOptions? options = null, double spynetLrMult = 0.25, long fixIter = 5000,
        bool checkpointBlocks = false, string? spynetPretrained = null)
    {
        _net = new VimpnetNet(generator, options);
        _net.Checkpointing = checkpointBlocks;
        if (spynetPretrained is not null) VimpnetCheckpoint.LoadSpyNet(_net, spynetPretrained);
        _spynetLrMult = spynetLrMult;
        _fixIter = fixIter;
    }

    /// <summary>The network a config's <c>network:</c> and <c>train:</c> sections describe.</summary>
    public static VimpnetTraining FromConfig(ExperimentConfig config, Generator generator)
    {
        var n = config.Network;
        var options = new VimpnetOptions(n.MidChannels ?? VimpnetNet.MidChannels, n.NumBlocks ?? VimpnetNet.PropagationBlocks,
            n.TransformerChannels ?? DualMaskTransformer.Channels, n.TransformerHidden ?? DualMaskTransformer.Hidden, n.MinSize ?? VimpnetNet.MinSize);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException($"network: {e.Message}");
        }
        if (config.Train.PatchSize < options.MinSize)
            throw new ConfigException(
                $"train.patch_size: {config.Train.PatchSize} is below the network's minimum frame size {options.MinSize}; use patch_size: {options.MinSize} (the official crop is 256), or lower network.min_size for a reduced network");
        if (config.Val.Crop is int crop && crop < options.MinSize)
            throw new ConfigException($"val.crop: {crop} is below the network's minimum frame size {options.MinSize}; use at least {options.MinSize}");
        string? spynet = n.SpynetPretrained is null ? null : config.Resolve(n.SpynetPretrained);
        if (spynet is not null && !File.Exists(spynet))
            throw new ConfigException($"network.spynet_pretrained: {spynet} does not exist; give BasicVSR's spynet_20210409-c6c1bd09.pth (or leave the key out to start SPyNet from random weights)");
        return new VimpnetTraining(generator, options, config.Train.SpynetLrMult, config.Train.FixIter, config.Train.CheckpointBlocks, spynet);
    }

    public VimpnetNet Net => _net;

    public Module Module => _net;

    public SynthesisKind DataKind => SynthesisKind.Vrds;

    public IReadOnlyList<string> TermNames { get; } = ["loss_pix", "loss_mask", "loss_reconstruct", "loss_hole", "loss_streak"];

    public IReadOnlyList<ParamGroup> ParameterGroups()
    {
        var spynet = _net.SpyNet.Parameters().ToHashSet();
        var rest = _net.Parameters().Where(p => p.RequiresGrad && !spynet.Contains(p)).ToList();
        return
        [
            new ParamGroup(rest, "generator"),
            new ParamGroup(_net.SpyNet.Parameters().ToList(), "spynet") { LrMultiplier = _spynetLrMult, FrozenUntilStep = _fixIter },
        ];
    }

    public void StepStarting(long iteration)
    {
        bool train = iteration >= _fixIter;
        foreach (var p in _net.SpyNet.Parameters()) p.RequiresGrad = train;
    }

    public IDataset OpenTrainingSet(string root)
    {
        string[] labels = [DatasetLayout.DropsOnly, DatasetLayout.DropMask, DatasetLayout.StreakMap];
        var missing = labels.Where(k => !Directory.Exists(Path.Combine(root, k))).ToList();
        if (missing.Count > 0)
            throw new ConfigException(
                $"{root} has no {string.Join(", ", missing)} folder(s): ViMP-Net trains on VRDS-layout sets (gt, lq, drop, 01drop, mstreak); render one with `derain synth --kind vrds`");
        return new VrdsDataset(root, Frames, keys: labels);
    }

    public IValidationSet OpenValidationSet(string root, ValConfig val)
        => new RgbClipValidationSet(root, Frames, val.MaxClips, val.Crop, VimpnetNet.SizeMultiple, Predict);

    public NetworkLoss Loss(Batch batch)
    {
        var forward = _net.Forward(batch[DatasetLayout.Rainy]);
        var terms = _loss.Compute(forward, batch[DatasetLayout.Clean], batch[DatasetLayout.DropsOnly], batch[DatasetLayout.DropMask], batch[DatasetLayout.StreakMap]);
        return new NetworkLoss(terms.Total, [terms.Pixel, terms.Mask, terms.Reconstruct, terms.Hole, terms.Streak]);
    }

    /// <summary>RGB clip [1, T, 3, h, w] on [0, 1] → the final output [1, T, 3, h, w] (not clamped).</summary>
    public Tensor Predict(Tensor frames) => _net.Forward(frames).Output;

    public void LoadPretrained(string path) => VimpnetCheckpoint.LoadInto(_net, path);

    public void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata) => VimpnetCheckpoint.Save(_net, path, metadata);
}
