using Derain.Models.Common;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>
/// mmcv's ConvModule without normalisation: a child named <c>conv</c> (so the weight is <c>….conv.weight</c>) and an
/// optional ReLU, as SPyNetBasicModule builds its five 7×7 convolutions.
/// </summary>
public sealed class ConvModule : Layer
{
    private readonly ConvNd _conv;
    private readonly bool _relu;

    public ConvModule(int inChannels, int outChannels, int kernel, int padding, bool relu, Generator g)
    {
        _conv = RegisterModule("conv", ConvNd.Conv2d(inChannels, outChannels, kernel, g, padding: padding));
        _relu = relu;
    }

    public ConvNd Conv => _conv;

    public override Tensor Forward(Tensor x)
    {
        var y = _conv.Forward(x);
        if (!_relu) return y;
        var r = Ops.Relu(y);
        Intermediates.Drop(y);
        return r;
    }
}

/// <summary>
/// SPyNet (Ranjan and Black, CVPR 2017) as BasicVSR's mmedit port and ViMP-Net's <c>derain_net.py</c> define it: six
/// pyramid levels, each a SPyNetBasicModule (ConvModule 7×7 8→32→64→32→16→2, ReLU between), no batch norm.
/// State-dict names: <c>mean</c>, <c>std</c> (the ImageNet normalisation buffers, constants), then
/// <c>basic_module.N.basic_module.M.conv.weight|bias</c>.
/// </summary>
public sealed class SpyNet : Module
{
    /// <summary>Pyramid levels (the coarsest works at 1/32 of the input).</summary>
    public const int Levels = 6;

    private readonly List<Sequential> _levels = [];

    public SpyNet(Generator g)
    {
        var list = RegisterModule("basic_module", new Container());
        for (int i = 0; i < Levels; i++)
        {
            var basic = new Sequential(
                new ConvModule(8, 32, 7, 3, relu: true, g),
                new ConvModule(32, 64, 7, 3, relu: true, g),
                new ConvModule(64, 32, 7, 3, relu: true, g),
                new ConvModule(32, 16, 7, 3, relu: true, g),
                new ConvModule(16, 2, 7, 3, relu: false, g));
            list.Add(new SpyNetBasicModule(basic));
            _levels.Add(basic);
        }
        // Registered after the levels in the official constructor, but a module's own buffers come before its
        // children in a PyTorch state dict, so the names order as spynet.mean, spynet.std, spynet.basic_module….
        Mean = RegisterBuffer("mean", Tensor.FromArray([0.485f, 0.456f, 0.406f], 1, 3, 1, 1));
        Std = RegisterBuffer("std", Tensor.FromArray([0.229f, 0.224f, 0.225f], 1, 3, 1, 1));
    }

    public ModuleBuffer Mean { get; }
    public ModuleBuffer Std { get; }

    /// <summary>
    /// SPyNet.forward(ref, supp): the flow [N, 2, H, W] from <paramref name="reference"/> to <paramref name="support"/>
    /// (both [N, 3, H, W], RGB [0, 1]), computed on the images resized bilinearly to multiples of 32, resized back and
    /// rescaled.
    /// </summary>
    public Tensor Forward(Tensor reference, Tensor support)
    {
        int h = reference.Size(2), w = reference.Size(3);
        int hUp = (h + 31) / 32 * 32, wUp = (w + 31) / 32 * 32;
        // F.interpolate to the same size with align_corners=False samples integer positions: the identity, skipped.
        var r = h == hUp && w == wUp ? reference : Ops.Interpolate(reference, hUp, wUp, InterpolateMode.Bilinear, alignCorners: false);
        var s = h == hUp && w == wUp ? support : Ops.Interpolate(support, hUp, wUp, InterpolateMode.Bilinear, alignCorners: false);
        var flow = ComputeFlow(r, s);
        if (h == hUp && w == wUp) return flow;
        var resized = Ops.Interpolate(flow, h, w, InterpolateMode.Bilinear, alignCorners: false);
        using var factors = Tensor.FromArray([(float)((double)w / wUp), (float)((double)h / hUp)], 1, 2, 1, 1);
        return Ops.Mul(resized, factors);
    }

    /// <summary>SPyNet.compute_flow on sizes that are multiples of 32: coarse to fine, each level adds a residue to the upsampled flow.</summary>
    private Tensor ComputeFlow(Tensor reference, Tensor support) => Intermediates.Release(() =>
    {
        var refs = Pyramid(Ops.Div(Ops.Sub(reference, Mean.Data), Std.Data));
        var supps = Pyramid(Ops.Div(Ops.Sub(support, Mean.Data), Std.Data));
        int n = reference.Size(0);
        var coarsest = refs[^1];
        var flow = Tensor.Zeros(new Shape(n, 2, coarsest.Size(2), coarsest.Size(3)), reference.DType);
        for (int level = 0; level < Levels; level++)
        {
            var r = refs[Levels - 1 - level];
            var s = supps[Levels - 1 - level];
            var up = level == 0
                ? flow
                : Ops.Mul(Ops.Interpolate(flow, 2 * flow.Size(2), 2 * flow.Size(3), InterpolateMode.Bilinear, alignCorners: true), 2.0);
            var warped = VimpnetOps.FlowWarp(s, up, GridSamplePadding.Border);
            var input = Ops.Concat([r, warped, up], 1);
            flow = up + Intermediates.Release(() => _levels[level].Forward(input));
        }
        return flow;
    });

    /// <summary>The normalised image and five 2×2 average-pooled levels (count_include_pad=False), finest first.</summary>
    private static List<Tensor> Pyramid(Tensor x)
    {
        var levels = new List<Tensor> { x };
        for (int i = 1; i < Levels; i++) levels.Add(Ops.AvgPool2d(levels[^1], 2, 2, 0, ceilMode: false, countIncludePad: false));
        return levels;
    }
}

/// <summary>SPyNetBasicModule: holds its five ConvModules under the name <c>basic_module</c>.</summary>
public sealed class SpyNetBasicModule : Module
{
    public SpyNetBasicModule(Sequential body) => RegisterModule("basic_module", body);
}
