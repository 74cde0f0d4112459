using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Models.Mgid;

/// <summary>
/// The building blocks of MGID's convAE (official <c>model/Reconstruction_skip.py</c>), as torch.nn.Sequential
/// containers so that the children are named 0, 1, … exactly as in the official state dict.
/// </summary>
internal static class MgidBlocks
{
    /// <summary>Basic: conv3×3 → BN → ReLU → conv3×3 → BN → ReLU (children 0 … 5).</summary>
    public static Sequential Basic(int inChannels, int outChannels, Generator g) => new(
        ConvNd.Conv2d(inChannels, outChannels, 3, g, padding: 1), new BatchNorm(outChannels), new Relu(),
        ConvNd.Conv2d(outChannels, outChannels, 3, g, padding: 1), new BatchNorm(outChannels), new Relu());

    /// <summary>Basic_ (the bottleneck): conv3×3 → BN → ReLU → conv3×3, no final BN or ReLU (children 0 … 3).</summary>
    public static Sequential BasicWithoutTail(int inChannels, int outChannels, Generator g) => new(
        ConvNd.Conv2d(inChannels, outChannels, 3, g, padding: 1), new BatchNorm(outChannels), new Relu(),
        ConvNd.Conv2d(outChannels, outChannels, 3, g, padding: 1));

    /// <summary>Upsample: ConvTranspose2d 3×3 stride 2 padding 1 output_padding 1 → BN → ReLU (doubles H and W).</summary>
    public static Sequential Upsample(int inChannels, int outChannels, Generator g) => new(
        new ConvTranspose2d(inChannels, outChannels, 3, g, stride: 2, padding: 1, outputPadding: 1), new BatchNorm(outChannels), new Relu());

    /// <summary>Gen (the streak head): conv → BN → ReLU → conv → BN → ReLU → conv to <paramref name="outChannels"/> → Tanh (children 0 … 7).</summary>
    public static Sequential Gen(int inChannels, int outChannels, int width, Generator g) => new(
        ConvNd.Conv2d(inChannels, width, 3, g, padding: 1), new BatchNorm(width), new Relu(),
        ConvNd.Conv2d(width, width, 3, g, padding: 1), new BatchNorm(width), new Relu(),
        ConvNd.Conv2d(width, outChannels, 3, g, padding: 1), new Tanh());

    /// <summary>
    /// Runs a block layer by layer with each conv → BatchNorm → ReLU run as one op (<see cref="ConvNd.ForwardBatchNormRelu"/>:
    /// in inference the normalisation folded into the convolution and the ReLU a oneDNN post-op) and any other
    /// BatchNorm → ReLU pair fused (<see cref="BatchNorm.ForwardRelu"/>: the same values and gradients, without the
    /// normalised tensor before the ReLU), disposing every intermediate as soon as
    /// the next layer has consumed it. This holds in training too: a recorded op keeps its own alias of whatever its
    /// backward pass reads, so disposing only frees the outputs no backward pass needs (as PyTorch frees unreferenced
    /// tensors), instead of keeping every activation of the step alive until its scope ends.
    /// </summary>
    public static Tensor Run(Sequential block, Tensor x)
    {
        if (!GradMode.IsEnabled && !block.Training && RunChain(block, x) is { } chained) return chained;
        return RunFrom(block, 0, x);
    }

    /// <summary>
    /// A decoder block (Basic or Gen) on cat(<paramref name="skip"/>, <paramref name="up"/>) along the channels, the
    /// official order. In inference (no recording, evaluation mode) the concatenation is built and the block runs as
    /// <see cref="Run"/> (one oneDNN chain). Otherwise the block's first convolution runs as
    /// <see cref="ConvNd.ForwardOnConcat"/> (<see cref="Ops.Conv2dConcat"/>) — the sum of two convolutions over the skip and the upsampled part, its weight
    /// split along the input channels — so that the 128-channel concatenation never exists: the recorded convolution
    /// would keep it until the backward pass, although its halves stay alive anyway (MGID's training step peaked at
    /// 6.0 GB with it, 4.8 GB without; docs/mgid.md, Benchmark). The values are the concatenated convolution's up to
    /// float32 summation order (tests/Derain.Tensors.Tests/Ops/ConvConcatTests.cs).
    /// </summary>
    public static Tensor RunOnConcat(Sequential block, Tensor skip, Tensor up)
    {
        if (!GradMode.IsEnabled && !block.Training)
        {
            var cat = Ops.Concat([skip, up], 1);
            var result = Run(block, cat);
            cat.Dispose();
            return result;
        }
        var layers = block.Layers;
        if (layers.Count < 3 || layers[0] is not ConvNd conv || layers[1] is not BatchNorm bn || layers[2] is not Relu)
            throw new InvalidOperationException("MGID's decoder blocks start with conv → BatchNorm → ReLU.");
        var c = conv.ForwardOnConcat([skip, up]);
        var t = bn.ForwardRelu(c);
        c.Dispose();
        return RunFrom(block, 3, t, disposeInput: true);
    }

    /// <summary>Layers <paramref name="start"/>… of a block, fused and disposed as in <see cref="Run"/>; the input is disposed too when asked.</summary>
    private static Tensor RunFrom(Sequential block, int start, Tensor x, bool disposeInput = false)
    {
        var layers = block.Layers;
        var t = x;
        for (int i = start; i < layers.Count; i++)
        {
            Tensor next;
            if (layers[i] is ConvNd conv && i + 2 < layers.Count && layers[i + 1] is BatchNorm convBn && layers[i + 2] is Relu)
            {
                next = conv.ForwardBatchNormRelu(convBn, t);
                i += 2;
            }
            else if (layers[i] is BatchNorm bn && i + 1 < layers.Count && layers[i + 1] is Relu)
            {
                next = bn.ForwardRelu(t);
                i++;
            }
            else next = layers[i].Forward(t);
            if (disposeInput || !ReferenceEquals(t, x)) t.Dispose();
            t = next;
        }
        return t;
    }

    /// <summary>
    /// Inference (no recording, evaluation mode): the block's leading conv (→ BatchNorm) (→ ReLU) layers as one
    /// <see cref="Ops.Conv2dChain"/>, each BatchNorm folded into its convolution (<see cref="BatchNorm.FoldIntoConvolution"/>)
    /// and each ReLU a post-op, so that oneDNN keeps the activations between them in its blocked layout; the remaining
    /// layers (Gen's Tanh) follow. Every MGID convolution is 3×3 with stride 1 and padding 1 (the constructors above).
    /// Null when the block does not start with a convolution (Upsample's transposed one) or a layer is in training mode.
    /// </summary>
    private static Tensor? RunChain(Sequential block, Tensor x)
    {
        var layers = block.Layers;
        var stages = new List<(Tensor Weight, Tensor? Bias, int Padding, bool Relu)>();
        var folded = new List<Tensor>();
        int i = 0;
        try
        {
            while (i < layers.Count && layers[i] is ConvNd { SpatialRank: 2, Groups: 1 } conv)
            {
                if (conv.Training) return null;
                Tensor w = conv.Weight;
                Tensor? b = conv.Bias?.Data;
                i++;
                if (i < layers.Count && layers[i] is BatchNorm bn)
                {
                    if (bn.Training) return null;
                    (w, var fb) = bn.FoldIntoConvolution(w, b);
                    b = fb;
                    folded.Add(w);
                    folded.Add(fb);
                    i++;
                }
                bool relu = i < layers.Count && layers[i] is Relu;
                if (relu) i++;
                stages.Add((w, b, 1, relu));
            }
            if (stages.Count == 0) return null;
            var t = Ops.Conv2dChain(x, [.. stages]);
            for (; i < layers.Count; i++)
            {
                var next = layers[i].Forward(t);
                t.Dispose();
                t = next;
            }
            return t;
        }
        finally
        {
            foreach (var f in folded) f.Dispose();
        }
    }

    /// <summary>Disposes a tensor the caller no longer needs, in training as in inference (see <see cref="Run"/>).</summary>
    public static void Free(Tensor t) => t.Dispose();
}

/// <summary>
/// MGID's encoder (official <c>Encoder</c>): three Basic stages 3→64→64→64, each followed by 2×2 max pooling, whose
/// pre-pool outputs are the skips, then the Basic_ bottleneck at H/8. State-dict names: moduleConv1 … moduleConv4 and
/// moduleBatchNorm — a BatchNorm2d the official forward never uses, kept so that official checkpoints load strictly.
/// </summary>
public sealed class MgidEncoder : Module
{
    private readonly Sequential _conv1, _conv2, _conv3, _conv4;

    public MgidEncoder(int inChannels, Generator g)
    {
        _conv1 = RegisterModule("moduleConv1", MgidBlocks.Basic(inChannels, MgidNet.FeatureDim, g));
        _conv2 = RegisterModule("moduleConv2", MgidBlocks.Basic(MgidNet.FeatureDim, MgidNet.FeatureDim, g));
        _conv3 = RegisterModule("moduleConv3", MgidBlocks.Basic(MgidNet.FeatureDim, MgidNet.FeatureDim, g));
        _conv4 = RegisterModule("moduleConv4", MgidBlocks.BasicWithoutTail(MgidNet.FeatureDim, MgidNet.FeatureDim, g));
        RegisterModule("moduleBatchNorm", new BatchNorm(MgidNet.FeatureDim));
    }

    /// <summary>The skips x1 (H), x2 (H/2), x3 (H/4) and the raw query x4 (H/8), all 64 channels.</summary>
    public (Tensor X1, Tensor X2, Tensor X3, Tensor X4) Forward(Tensor x)
    {
        var x1 = MgidBlocks.Run(_conv1, x);
        var p1 = Ops.MaxPool2d(x1, 2, 2);
        var x2 = MgidBlocks.Run(_conv2, p1);
        MgidBlocks.Free(p1);
        var p2 = Ops.MaxPool2d(x2, 2, 2);
        var x3 = MgidBlocks.Run(_conv3, p2);
        MgidBlocks.Free(p2);
        var p3 = Ops.MaxPool2d(x3, 2, 2);
        var x4 = MgidBlocks.Run(_conv4, p3);
        MgidBlocks.Free(p3);
        return (x1, x2, x3, x4);
    }
}

/// <summary>
/// MGID's decoder (official <c>Decoder</c>): Basic(128→64) on the memory-augmented query, then three times
/// upsample → concat(skip, up) → Basic, the last Basic replaced by the Gen streak head ending in Tanh.
/// State-dict names: moduleConv, moduleUpsample4, moduleDeconv3, moduleUpsample3, moduleDeconv2, moduleUpsample2, moduleDeconv1.
/// </summary>
public sealed class MgidDecoder : Module
{
    private readonly Sequential _conv, _up4, _deconv3, _up3, _deconv2, _up2, _deconv1;

    public MgidDecoder(int outChannels, Generator g)
    {
        const int f = MgidNet.FeatureDim;
        _conv = RegisterModule("moduleConv", MgidBlocks.Basic(2 * f, f, g));
        _up4 = RegisterModule("moduleUpsample4", MgidBlocks.Upsample(f, f, g));
        _deconv3 = RegisterModule("moduleDeconv3", MgidBlocks.Basic(2 * f, f, g));
        _up3 = RegisterModule("moduleUpsample3", MgidBlocks.Upsample(f, f, g));
        _deconv2 = RegisterModule("moduleDeconv2", MgidBlocks.Basic(2 * f, f, g));
        _up2 = RegisterModule("moduleUpsample2", MgidBlocks.Upsample(f, f, g));
        _deconv1 = RegisterModule("moduleDeconv1", MgidBlocks.Gen(2 * f, outChannels, f, g));
    }

    /// <summary>The Gen output (already through one Tanh) for the skips and the 128-channel read features.</summary>
    public Tensor Forward(Tensor x1, Tensor x2, Tensor x3, Tensor readFeatures)
    {
        var t = MgidBlocks.Run(_conv, readFeatures);
        t = Stage(_up4, _deconv3, t, x3);
        t = Stage(_up3, _deconv2, t, x2);
        return Stage(_up2, _deconv1, t, x1);
    }

    /// <summary>Upsample, then the block on cat(skip, up) (official order: skip first, then the upsampled features).</summary>
    private static Tensor Stage(Sequential upsample, Sequential block, Tensor t, Tensor skip)
    {
        var up = MgidBlocks.Run(upsample, t);
        MgidBlocks.Free(t);
        var result = MgidBlocks.RunOnConcat(block, skip, up);
        MgidBlocks.Free(up);
        return result;
    }
}
