using Derain.Models.Common;
using Derain.NN.Init;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>
/// ViMP-Net's second-order deformable alignment (official <c>modules/DeformableAlignment.py</c>, after BasicVSR++):
/// an mmcv ModulatedDeformConv2d (DCNv2; own <c>weight</c> [64, 128, 3, 3] and <c>bias</c>, 3×3, padding 1,
/// 16 deform groups) whose offsets and masks come from <c>conv_offset</c>, a stack of four 3×3 convolutions
/// (197→64, 64→64, 64→64 with LeakyReLU 0.1, then 64→432) on cat(cond_n1, feat_current, cond_n2, flow_n1, flow_n2,
/// streak map). The 432 channels are o1, o2, m (144 each): offsets = 10·tanh(cat(o1, o2)) plus the flows as (dy, dx)
/// (flow.flip(1)) repeated per kernel point — flow_n1 for deform groups 0–7, which read the first 64 input channels
/// (the propagated feature), flow_n2 for groups 8–15 (the second-order feature) — and masks = sigmoid(m).
/// </summary>
public sealed class SecondOrderDeformableAlignment : Module
{
    /// <summary>Deform groups (two sets of eight, one per flow).</summary>
    public const int DeformGroups = 16;

    /// <summary>max_residue_magnitude: the offset residues are bounded by 10·tanh.</summary>
    public const double MaxResidueMagnitude = 10;

    private const int Kernel = 3;
    private readonly Sequential _convOffset;

    public SecondOrderDeformableAlignment(int inChannels, int outChannels, Generator g)
    {
        // mmcv ModulatedDeformConv2d.init_weights: U(±1/√(in·k²)) weight, zero bias.
        double stdv = 1 / Math.Sqrt(inChannels * Kernel * Kernel);
        Weight = RegisterParameter("weight", Initializers.Uniform(Tensor.Zeros(new Shape(outChannels, inChannels, Kernel, Kernel)), -stdv, stdv, g));
        Bias = RegisterParameter("bias", Tensor.Zeros(new Shape(outChannels)));
        var last = ConvNd.Conv2d(outChannels, 27 * DeformGroups, 3, g, padding: 1);
        _convOffset = RegisterModule("conv_offset", new Sequential(
            ConvNd.Conv2d(3 * outChannels + 5, outChannels, 3, g, padding: 1), new LeakyRelu(0.1),
            ConvNd.Conv2d(outChannels, outChannels, 3, g, padding: 1), new LeakyRelu(0.1),
            ConvNd.Conv2d(outChannels, outChannels, 3, g, padding: 1), new LeakyRelu(0.1),
            last));
        // init_offset: constant_init(conv_offset[-1], 0) — alignment starts from the flows alone.
        Initializers.Constant(last.Weight.Data, 0);
        Initializers.Constant(last.Bias!.Data, 0);
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }

    /// <summary>
    /// Aligns <paramref name="x"/> = cat(feat_prop, feat_n2) [N, 128, H, W] given the condition
    /// cat(cond_n1, feat_current, cond_n2) [N, 192, H, W], the two flows [N, 2, H, W] and the streak map [N, 1, H, W].
    /// </summary>
    public Tensor Forward(Tensor x, Tensor condition, Tensor flow1, Tensor flow2, Tensor streak) => Intermediates.Release(() =>
    {
        var extra = Ops.Concat([condition, flow1, flow2, streak], 1);
        var output = _convOffset.Forward(extra);
        int half = 2 * 9 * DeformGroups / 2; // o1 and o2: 144 channels each
        var residues = Ops.Mul(Ops.Tanh(Ops.Narrow(output, 1, 0, 2 * half)), MaxResidueMagnitude);
        int pointsPerSet = half / 2; // 72 (dy, dx) pairs per set of eight groups
        var flows = Ops.Concat([Ops.Repeat(Ops.Flip(flow1, 1), 1, pointsPerSet, 1, 1), Ops.Repeat(Ops.Flip(flow2, 1), 1, pointsPerSet, 1, 1)], 1);
        var offset = residues + flows;
        var mask = Ops.Sigmoid(Ops.Narrow(output, 1, 2 * half, 9 * DeformGroups));
        return Ops.DeformConv2d(x, offset, Weight.Data, Bias.Data, mask, stride: 1, padding: 1, dilation: 1, groups: 1);
    });
}
