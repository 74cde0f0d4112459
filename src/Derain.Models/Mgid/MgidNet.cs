using Derain.NN.Modules;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Models.Mgid;

/// <summary>
/// MGID (Cho, Kim, Sohn, "Memory-Guided Image De-Raining Using Time-Lapse Data", IEEE TIP 31, 2022), the network
/// <c>convAE(n_channel 3, memory_size 20, feature_dim 64, key_dim 64)</c> of the official code (GitHub jhcho90/MGID,
/// <c>model/Reconstruction_skip.py</c> and <c>model/Memory.py</c>; the sizes are Train.py's defaults).
/// <para>
/// Input: a BGR image (OpenCV order) on the [−1, 1] scale, H and W multiples of 8. Encoder with skips → bottleneck
/// query → InstanceNorm2d (no affine, eps 1e-5, statistics of this image) → per-pixel L2 normalisation → memory read
/// (cat(q, softmax(q·Kᵀ)·K), see <see cref="MgidMemory"/>) → decoder → Gen (ends in Tanh) → tanh again = streak;
/// derained = x − streak.
/// </para>
/// <para>
/// State: the official <c>convAE.state_dict()</c> names (encoder.*, decoder.*; 818,115 learnable parameters plus
/// BatchNorm statistics) and the memory items as the buffer <c>memory_items</c> [20, 64]. The official code keeps the
/// memory outside the module and saves it beside the state dict under the same name; here it travels with the weights.
/// The official convAE also owns <c>memory</c> and <c>instNorm</c> children, which hold no state.
/// </para>
/// <para>
/// <c>train</c> (the official forward's argument) selects the memory branch and is independent of
/// <see cref="Module.Training"/> (BatchNorm batch statistics), as in the official code where Train.py calls
/// model.train() separately.
/// </para>
/// </summary>
public sealed class MgidNet : Module
{
    /// <summary>Channels of every feature map and of the memory items (feature_dim = key_dim = 64).</summary>
    public const int FeatureDim = 64;

    /// <summary>Memory items (Train.py's --msize 20).</summary>
    public const int MemorySize = 20;

    /// <summary>Image channels (BGR).</summary>
    public const int Channels = 3;

    /// <summary>H and W must be multiples of this (three 2×2 poolings).</summary>
    public const int SizeMultiple = 8;

    private readonly MgidEncoder _encoder;
    private readonly MgidDecoder _decoder;

    /// <param name="generator">Source of PyTorch's default initial weights and of the initial memory
    /// normalize(rand(20, 64)) as Train.py makes it.</param>
    public MgidNet(Generator generator)
    {
        _encoder = RegisterModule("encoder", new MgidEncoder(Channels, generator));
        _decoder = RegisterModule("decoder", new MgidDecoder(Channels, generator));
        using (GradMode.NoGrad())
        using (var rand = Tensor.Rand(new Shape(MemorySize, FeatureDim), generator))
            MemoryItems = RegisterBuffer("memory_items", MgidMemory.Normalize(rand, 1));
    }

    /// <summary>The memory items [20, 64] (state-dict name memory_items).</summary>
    public ModuleBuffer MemoryItems { get; }

    /// <summary>Replaces the memory items' values (e.g. with a training pass's <see cref="MgidForward.UpdatedMemory"/>).</summary>
    public void SetMemory(Tensor memory) => MemoryItems.CopyFrom(memory);

    /// <summary>The test branch with the stored memory: derained and streak, BGR [−1, 1].</summary>
    public MgidForward Forward(Tensor bgrMinus1To1) => Forward(bgrMinus1To1, MemoryItems.Data, train: false);

    /// <summary>
    /// One pass of the official convAE on a batch of single images [B, 3, H, W] (BGR, [−1, 1]) with memory
    /// <paramref name="memory"/> [M, 64] (used as given, never normalised here). With <paramref name="train"/> false this is
    /// the test branch: read only, the memory is returned unchanged. With <paramref name="train"/> true it is the
    /// training branch of Memory.forward: gathering and spreading losses, read and update all use the incoming
    /// memory; the updated memory is returned (detached), not stored — call <see cref="SetMemory"/> to keep it.
    /// For the official pair step use <see cref="ForwardTrainingPair"/>, or call this for frame 1 and then for
    /// frame 2 with frame 1's <see cref="MgidForward.UpdatedMemory"/> (the same computation).
    /// </summary>
    public MgidForward Forward(Tensor bgrMinus1To1, Tensor memory, bool train) => Forward(bgrMinus1To1, memory, train, null);

    /// <summary>
    /// As <see cref="Forward(Tensor, Tensor, bool)"/>, but the bottleneck is normalised with the given per-channel
    /// <paramref name="queryStatistics"/> (mean and biased variance, [64] each) instead of its own instance statistics —
    /// for tiled inference, where the statistics of the whole image are gathered first (<see cref="EncodeBottleneck"/>).
    /// With null this is the official InstanceNorm2d.
    /// </summary>
    public MgidForward Forward(Tensor bgrMinus1To1, Tensor memory, bool train, (Tensor Mean, Tensor Variance)? queryStatistics)
    {
        CheckInput(bgrMinus1To1, memory);
        var x = bgrMinus1To1;
        var keys = memory.Detach();
        var (x1, x2, x3, x4) = _encoder.Forward(x);
        var query = queryStatistics is { } stats
            ? Ops.Div(Ops.Sub(x4, Ops.Reshape(stats.Mean, 1, FeatureDim, 1, 1)), Ops.Sqrt(Ops.Add(Ops.Reshape(stats.Variance, 1, FeatureDim, 1, 1), 1e-5)))
            : Ops.InstanceNorm(x4, eps: 1e-5);
        MgidBlocks.Free(x4);
        int b = query.Size(0), d = query.Size(1), h = query.Size(2), w = query.Size(3);

        var normalised = MgidMemory.Normalize(query, 1);
        var rows = Ops.Reshape(Ops.Permute(normalised, 0, 2, 3, 1), b * h * w, d);
        var scores = MgidMemory.Scores(rows, keys);
        var gathering = MgidMemory.GatheringLoss(rows, keys, scores);
        double? spreading = train ? MgidMemory.SpreadingLoss(rows, keys) : null;
        var readRows = MgidMemory.Read(rows, keys, scores);
        var read = Ops.Permute(Ops.Reshape(readRows, b, h, w, 2 * d), 0, 3, 1, 2);
        var updated = train ? MgidMemory.Update(rows, keys) : keys;

        var gen = _decoder.Forward(x1, x2, x3, read);
        MgidBlocks.Free(x1);
        MgidBlocks.Free(x2);
        MgidBlocks.Free(x3);
        var streak = Ops.Tanh(gen); // the official forward applies torch.tanh to Gen's output, which already ends in Tanh
        MgidBlocks.Free(gen);
        var derained = Ops.Sub(x, streak);
        return new MgidForward(derained, streak, query, read, updated, gathering, spreading);
    }

    /// <summary>The bottleneck before InstanceNorm, [B, 64, H/8, W/8] (official <c>fea4</c>), without running the decoder.</summary>
    public Tensor EncodeBottleneck(Tensor bgrMinus1To1)
    {
        CheckInput(bgrMinus1To1, MemoryItems.Data);
        var (x1, x2, x3, x4) = _encoder.Forward(bgrMinus1To1);
        MgidBlocks.Free(x1);
        MgidBlocks.Free(x2);
        MgidBlocks.Free(x3);
        return x4;
    }

    /// <summary>
    /// The official training branch <c>convAE.forward(x1, x2, keys, train=True)</c>: frame 1 reads and updates the
    /// incoming memory, frame 2 reads and updates the memory frame 1 left. (The official code runs both encoders before
    /// both decoders; with BatchNorm statistics per call the order does not change any value.)
    /// </summary>
    public MgidPairForward ForwardTrainingPair(Tensor first, Tensor second, Tensor memory)
    {
        var a = Forward(first, memory, train: true);
        var b = Forward(second, a.UpdatedMemory, train: true);
        return new MgidPairForward(a, b);
    }

    private static void CheckInput(Tensor x, Tensor memory)
    {
        if (x.Rank != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"MGID takes images [B, {Channels}, H, W] (BGR on the [−1, 1] scale); got {x.Shape}.", nameof(x));
        if (x.Size(2) % SizeMultiple != 0 || x.Size(3) % SizeMultiple != 0)
            throw new ArgumentException(
                $"MGID needs a height and width that are multiples of {SizeMultiple}; got {x.Size(2)}×{x.Size(3)}. Pad the image (derain run does this) or crop it.",
                nameof(x));
        if (memory.Rank != 2 || memory.Size(1) != FeatureDim)
            throw new ArgumentException($"MGID's memory is [M, {FeatureDim}]; got {memory.Shape}.", nameof(memory));
    }
}
