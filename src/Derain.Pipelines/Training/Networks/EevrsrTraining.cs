using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Models.Eevrsr;
using Derain.NN.Modules;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Networks;

/// <summary>
/// EEVRSR as the trainer sees it: <see cref="EevrsrNet"/> with <see cref="EevrsrLoss"/> (MSE on the restored luma
/// plus, for the full variant, VESPCN's motion-compensation loss weighted by <c>train.motion_weight</c>, with
/// <c>train.smoothness</c> on the flow). Logged terms: <c>loss_rest</c> (restoration MSE) and <c>loss_mc</c> (the
/// motion-compensation term before weighting; 0 for derain_only). Data: streak-pair sets (<c>derain synth --kind
/// streaks</c>); each sample is 5 consecutive rainy frames and the clean centre frame, converted to luma
/// (<see cref="Luma"/>); validation on held-out clips (<see cref="ValidationSet"/>).
/// </summary>
public sealed class EevrsrTraining : ITrainableNetwork
{
    private readonly EevrsrNet _net;
    private readonly EevrsrLoss _loss;

    public EevrsrTraining(EevrsrVariant variant, Generator generator, double motionWeight = 1.0, double smoothness = 0.01, bool zeroInitResidual = false)
    {
        _net = new EevrsrNet(variant, generator);
        if (zeroInitResidual) _net.ZeroInitResidual();
        _loss = new EevrsrLoss(motionWeight, smoothness);
    }

    /// <summary>The network a config's <c>network:</c> and <c>train:</c> sections describe.</summary>
    public static EevrsrTraining FromConfig(ExperimentConfig config, Generator generator)
        => new(config.Network.Variant == "derain_only" ? EevrsrVariant.DerainOnly : EevrsrVariant.All, generator,
            config.Train.MotionWeight, config.Train.Smoothness, config.Network.ZeroInitResidual);

    public EevrsrNet Net => _net;

    public Module Module => _net;

    public SynthesisKind DataKind => SynthesisKind.Streaks;

    public IReadOnlyList<string> TermNames { get; } = ["loss_rest", "loss_mc"];

    // Only what the loss reads is decoded: the rainy clip and the clean centre frame (not mstreak, not the other clean
    // frames), 6 images per sample instead of 15.
    public IDataset OpenTrainingSet(string root) => new VrdsDataset(root, EevrsrNet.Frames, keys: [DatasetLayout.Rainy], centreCleanOnly: true);

    public IValidationSet OpenValidationSet(string root, ValConfig val)
        => new ValidationSet(root, EevrsrNet.Frames, val.MaxClips, val.Crop, EevrsrNet.SizeMultiple, Predict);

    public NetworkLoss Loss(Batch batch)
    {
        var (frames, target) = Luma.Pair(batch[DatasetLayout.Rainy], batch[DatasetLayout.Clean]);
        var forward = _net.ForwardDetailed(frames);
        var terms = _loss.Compute(forward, frames, target);
        return new NetworkLoss(terms.Total, [terms.Restoration, terms.Motion]);
    }

    public Tensor Predict(Tensor frames) => _net.Forward(frames);

    public void LoadPretrained(string path)
    {
        var source = EevrsrCheckpoint.Load(path);
        if (source.Variant != _net.Variant)
            throw new InvalidDataException(
                $"{path} holds EEVRSR {Describe(source.Variant)} weights, but network.variant is {Describe(_net.Variant)}; set network.variant: {Describe(source.Variant)} or use {Describe(_net.Variant)} weights");
        _net.LoadStateDict(source.StateDict(), strict: true);
    }

    private static string Describe(EevrsrVariant variant) => variant == EevrsrVariant.All ? "all" : "derain_only";

    public void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata) => EevrsrCheckpoint.Save(_net, path, metadata);
}
