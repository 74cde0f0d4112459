using Derain.Data.Loading;
using Derain.Data.Synthesis;
using Derain.Models.Mgid;
using Derain.NN.Modules;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Data;
using Derain.Tensors;

namespace Derain.Pipelines.Training.Networks;

/// <summary>
/// MGID as the trainer sees it: <see cref="MgidNet"/> trained self-supervised as the official Train.py does, on
/// pairs of rainy frames of one static scene (<c>derain synth --kind timelapse</c> sets, or a user's own time-lapse
/// folder <c>lq/&lt;scene&gt;/*.png</c>; the clean frames are never read for training), with <see cref="MgidLoss"/>.
/// <list type="bullet">
/// <item>Preprocessing as Train.py: frames in OpenCV's BGR order on the [−1, 1] scale (2x − 1 of the loader's RGB on
/// [0, 1]); with <c>datasets.train.resize: 256</c> every frame is resized to 256×256 first (Train.py resizes each
/// two-frame training image to 512×256 and splits it, so each frame becomes 256×256 whatever its aspect).</item>
/// <item>One step: <see cref="MgidNet.ForwardTrainingPair"/> with the memory items of the module, the loss, backward,
/// Adam on the encoder and decoder (the memory is a buffer, not a parameter); then the memory after both frames'
/// updates replaces the module's (<see cref="StepCompleted"/>), as Train.py carries <c>m_items</c> from one iteration
/// to the next. The memory is in the state dict, so checkpoints keep it and a resumed run continues exactly.</item>
/// <item>Validation: the test branch (memory read only) on single held-out rainy frames, PSNR/SSIM in the <c>y</c>
/// convention against their clean views (<see cref="TimeLapseValidationSet"/>).</item>
/// </list>
/// Logged terms, before weighting: loss_pixel L1(d₁,d₂), loss_tex, loss_same, loss_gather, loss_bsw and ssim
/// (the total subtracts 0.5·ssim).
/// </summary>
public sealed class MgidTraining : ITrainableNetwork
{
    private readonly MgidNet _net;
    private readonly MgidLoss _loss;
    private Tensor? _nextMemory;

    public MgidTraining(Generator generator, MgidLoss? loss = null)
    {
        _net = new MgidNet(generator);
        _loss = loss ?? new MgidLoss();
    }

    /// <summary>The network a config's <c>network:</c> and <c>train:</c> sections describe.</summary>
    public static MgidTraining FromConfig(ExperimentConfig config, Generator generator)
    {
        var train = config.Train;
        if (train.PatchSize % MgidNet.SizeMultiple != 0)
            throw new ConfigException($"train.patch_size: {train.PatchSize} is not a multiple of {MgidNet.SizeMultiple} (MGID pools three times); use e.g. {Math.Max(8, train.PatchSize / 8 * 8)}");
        if (config.Datasets.Train.Resize is int r && r % MgidNet.SizeMultiple != 0)
            throw new ConfigException($"datasets.train.resize: {r} is not a multiple of {MgidNet.SizeMultiple}; Train.py uses 256");
        return new MgidTraining(generator, new MgidLoss(train.GatheringWeight, train.WhiteningWeight, train.SsimWeight));
    }

    public MgidNet Net => _net;

    public Module Module => _net;

    public SynthesisKind DataKind => SynthesisKind.TimeLapse;

    public IReadOnlyList<string> TermNames { get; } = ["loss_pixel", "loss_tex", "loss_same", "loss_gather", "loss_bsw", "ssim_pair"];

    public IDataset OpenTrainingSet(string root) => new TimeLapseDataset(root, readClean: false);

    public IValidationSet OpenValidationSet(string root, ValConfig val)
        => new TimeLapseValidationSet(root, val.MaxClips, val.Crop, MgidNet.SizeMultiple, Predict);

    public NetworkLoss Loss(Batch batch)
    {
        var rain1 = ToNetwork(batch["lq1"]);
        var rain2 = ToNetwork(batch["lq2"]);
        var forward = _net.ForwardTrainingPair(rain1, rain2, _net.MemoryItems.Data);
        var terms = _loss.Compute(forward, rain1, rain2);
        // Kept until the step is done: the graph of this step may still read the current memory during backward.
        _nextMemory = forward.UpdatedMemory;
        return new NetworkLoss(terms.Total, [terms.Pixel, terms.Texture, terms.Same, terms.Gathering, terms.Whitening, terms.Ssim]);
    }

    public void StepCompleted()
    {
        if (_nextMemory is null) return;
        _net.SetMemory(_nextMemory);
        _nextMemory = null;
    }

    /// <summary>RGB [1, 3, h, w] on [0, 1] → the test branch with the stored memory → RGB on [0, 1] (not clamped).</summary>
    public Tensor Predict(Tensor rgb)
    {
        var output = _net.Forward(ToNetwork(rgb)).Derained;
        return Ops.Affine(Ops.Flip(output, 1), 0.5, 0.5);
    }

    /// <remarks>A file without memory items (a bare convAE state dict) keeps the freshly drawn memory, as Train.py's
    /// random start.</remarks>
    public void LoadPretrained(string path)
    {
        var source = MgidCheckpoint.Load(path, out bool memoryFromFile);
        var state = source.StateDict();
        if (!memoryFromFile) state = state.Where(kv => kv.Key != MgidCheckpoint.MemoryName).ToDictionary(kv => kv.Key, kv => kv.Value);
        _net.LoadStateDict(state, strict: memoryFromFile);
    }

    public void SaveWeights(string path, IReadOnlyDictionary<string, string> metadata) => MgidCheckpoint.Save(_net, path, metadata);

    /// <summary>RGB on [0, 1] [B, 3, H, W] → BGR on [−1, 1], the official cv2.imread order and x/127.5 − 1 scale.</summary>
    private static Tensor ToNetwork(Tensor rgb) => Ops.Affine(Ops.Flip(rgb, 1), 2, -1);
}
