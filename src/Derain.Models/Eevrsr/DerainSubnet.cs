using Derain.Models.Common;
using Derain.NN.Init;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>
/// EEVRSR's de-raining sub-net (official <c>net_final.py</c> <c>derain_net</c>, <c>utils.py</c> DenseBlock): a 7×7
/// feature convolution of the five stacked frames (no activation), a 6-layer dense block with growth 12, then
/// BN → ReLU → 1×1 to 6 → BN → ReLU → 5×5 to the 1-channel residual. Every convolution uses TF 'SAME' padding;
/// BatchNorm is TF's (eps 1e-3, zero-debiased moving statistics).
/// State-dict names: conv1, dense.layer1 … layer6 (bn1, conv1x1, bn2, conv3x3), bn1, conv2, bn2, conv3.
/// </summary>
public sealed class DerainSubnet : Module
{
    /// <summary>Growth rate k of the dense block (official growth_k).</summary>
    public const int Growth = 12;

    private readonly ConvNd _conv1, _conv2, _conv3;
    private readonly DenseBlock _dense;
    private readonly TfBatchNorm _bn1, _bn2;

    public DerainSubnet(Generator g, int frames = 5)
    {
        _conv1 = RegisterModule("conv1", EevrsrInit.Conv(frames, 2 * Growth, 7, 1, g));
        _dense = RegisterModule("dense", new DenseBlock(2 * Growth, Growth, layers: 6, g));
        _bn1 = RegisterModule("bn1", new TfBatchNorm(Growth));
        _conv2 = RegisterModule("conv2", EevrsrInit.Conv(Growth, Growth / 2, 1, 1, g));
        _bn2 = RegisterModule("bn2", new TfBatchNorm(Growth / 2));
        _conv3 = RegisterModule("conv3", EevrsrInit.Conv(Growth / 2, 1, 5, 1, g));
    }

    /// <summary>Zeroes the residual convolution's weight and bias (<see cref="EevrsrNet.ZeroInitResidual"/>).</summary>
    internal void ZeroInitResidual()
    {
        using (Tensors.Autograd.GradMode.NoGrad())
        {
            Initializers.Constant(_conv3.Weight, 0);
            Initializers.Constant(_conv3.Bias!, 0);
        }
    }

    /// <summary>Residual [N, 1, H, W] for the stacked frames [N, 5, H, W] (t−2 … t+2).</summary>
    public Tensor Forward(Tensor frames) => Forward(frames, null);

    /// <summary>As <see cref="Forward(Tensor)"/>, reporting conv1, dense1 … dense6 and conv2 to <paramref name="trace"/>.</summary>
    internal Tensor Forward(Tensor frames, Action<string, Tensor>? trace)
    {
        var features = _conv1.Forward(frames);
        trace?.Invoke("conv1", features);
        var x = _dense.Forward(features, trace);
        x = Intermediates.Release(() => _bn2.ForwardRelu(_conv2.Forward(_bn1.ForwardRelu(x))));
        trace?.Invoke("conv2", x);
        return _conv3.Forward(x);
    }
}

/// <summary>
/// The dense block of <c>utils.py</c>: each layer (BN → ReLU → 1×1 to 4k → BN → ReLU → 3×3 to k) sees the concatenation
/// of the block input and all earlier layers' outputs. Unlike DenseNet, the block returns only the LAST layer's k
/// channels (the official DenseBlock returns <c>t</c>, not the concatenation) — the trained weights depend on it.
/// </summary>
internal sealed class DenseBlock : Module
{
    private readonly DenseLayer[] _layers;
    private readonly int _growth;

    public DenseBlock(int inChannels, int growth, int layers, Generator g)
    {
        _growth = growth;
        _layers = new DenseLayer[layers];
        for (int i = 0; i < layers; i++)
            _layers[i] = RegisterModule($"layer{i + 1}", new DenseLayer(inChannels + i * growth, growth, g));
    }

    public Tensor Forward(Tensor x, Action<string, Tensor>? trace)
    {
        if (!Tensors.Autograd.GradMode.IsEnabled && x.Shape[0] == 1) return ForwardInPlace(x, trace);
        // The features stay separate tensors: each layer's first BN → ReLU reads them as the channels of their
        // concatenation (TfBatchNorm.ForwardReluConcat) and writes its normalised concatenation once, so the
        // concatenation itself is never copied (nor, in the backward pass, its gradient split into copies).
        // In training, each feature's batch statistics are computed once and handed to every later layer.
        bool training = _layers[0].Training;
        var features = new List<Tensor> { x };
        var statistics = new List<(Tensor Mean, Tensor Variance)>();
        if (training) statistics.Add(Ops.BatchStatistics(x));
        Tensor last = x;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            last = Intermediates.Release(() => layer.Forward(features, training ? statistics : null));
            trace?.Invoke($"dense{i + 1}", last);
            if (i + 1 == _layers.Length) break;
            features.Add(last);
            if (training) statistics.Add(Ops.BatchStatistics(last));
        }
        // The earlier layers' outputs (not the block input, which the caller owns); a graph keeps its own aliases.
        for (int i = 1; i < features.Count; i++) Intermediates.Drop(features[i]);
        foreach (var (mean, variance) in statistics)
        {
            mean.Dispose();
            variance.Dispose();
        }
        return last;
    }

    /// <summary>
    /// Inference for one sample: the same values as the concatenating loop, but the features grow inside one
    /// buffer of the final width. With a batch of one, the first c channels of [1, C, H, W] are one contiguous
    /// run, so each layer's input is a view (<see cref="Ops.Narrow"/>) and only the layer's k new channels are
    /// copied — instead of the whole growing concatenation (36 + 48 + … + 84 channels at 640×480, about 0.37 GB
    /// written per frame).
    /// </summary>
    private Tensor ForwardInPlace(Tensor x, Action<string, Tensor>? trace)
    {
        int inChannels = x.Shape[1];
        int plane = x.Shape.Product(2, x.Rank);
        int width = inChannels + (_layers.Length - 1) * _growth;
        // The block input followed by room for the new channels (zero until each layer's output is copied in).
        using var features = Ops.Pad(x, [0, 0, 0, 0, 0, width - inChannels]);
        Tensor last = x;
        int channels = inChannels;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            using var input = Ops.Narrow(features, 1, 0, channels);
            last = Intermediates.Release(() => layer.Forward([input]));
            trace?.Invoke($"dense{i + 1}", last);
            if (i + 1 == _layers.Length) break;
            CopyInto(last, features, channels * plane);
            channels += last.Shape[1];
            last.Dispose();
        }
        return last;
    }

    private static void CopyInto(Tensor source, Tensor target, int offset)
    {
        if (source.DType == DType.Float32) source.Span<float>().CopyTo(target.Span<float>()[offset..]);
        else source.Span<double>().CopyTo(target.Span<double>()[offset..]);
    }
}

/// <summary>One bottleneck layer of the dense block (official Dense_B_Layer).</summary>
internal sealed class DenseLayer : Module
{
    private readonly TfBatchNorm _bn1, _bn2;
    private readonly ConvNd _conv1x1, _conv3x3;

    public DenseLayer(int inChannels, int growth, Generator g)
    {
        _bn1 = RegisterModule("bn1", new TfBatchNorm(inChannels));
        _conv1x1 = RegisterModule("conv1x1", EevrsrInit.Conv(inChannels, 4 * growth, 1, 1, g));
        _bn2 = RegisterModule("bn2", new TfBatchNorm(4 * growth));
        _conv3x3 = RegisterModule("conv3x3", EevrsrInit.Conv(4 * growth, growth, 3, 1, g));
    }

    /// <summary>
    /// The layer on the channel concatenation of <paramref name="features"/> (never built: see
    /// <see cref="TfBatchNorm.ForwardReluConcat"/>); in training, <paramref name="statistics"/> may give each feature's batch statistics.
    /// </summary>
    public Tensor Forward(IReadOnlyList<Tensor> features, IReadOnlyList<(Tensor Mean, Tensor Variance)>? statistics = null)
    {
        // BN → ReLU fused (TfBatchNorm.ForwardReluConcat): the same values as concatenation, batch norm and ReLU,
        // in one pass that writes the normalised concatenation.
        var y = _conv1x1.Forward(_bn1.ForwardReluConcat(features, statistics));
        // The 3×3 convolution reads its 48 channels channel-blocked: one conversion here (and its adjoint in the
        // backward pass) instead of the reorders oneDNN would run in forward, backward-weights and backward-data.
        var z = Ops.ToChannelBlocks(_bn2.ForwardRelu(y));
        return _conv3x3.Forward(z, ActivationLayout.Blocked);
    }
}
