using Derain.NN.Init;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>
/// mmcv.ops.ModulatedDeformConv2d (DCNv2): weight [out, in/groups, k, k], bias, and the deform-group count;
/// the offsets [N, 2·dg·k², Ho, Wo] ((dy, dx) per kernel point) and modulation mask [N, dg·k², Ho, Wo] come
/// from the caller (ViMP-Net's second-order alignment computes them from features and flow).
/// Initialised like mmcv: weight U(±1/√(in·k²)), bias 0.
/// </summary>
public sealed class ModulatedDeformConv2d : Module
{
    private readonly int _stride, _padding, _dilation, _groups;

    public ModulatedDeformConv2d(int inChannels, int outChannels, int kernel, Generator generator, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, int deformGroups = 1, bool bias = true)
    {
        (_stride, _padding, _dilation, _groups) = (stride, padding, dilation, groups);
        DeformGroups = deformGroups;
        Kernel = kernel;
        var w = Tensor.Zeros(new Shape(outChannels, inChannels / groups, kernel, kernel));
        double stdv = 1 / Math.Sqrt(inChannels * kernel * kernel);
        Weight = RegisterParameter("weight", Initializers.Uniform(w, -stdv, stdv, generator));
        Bias = RegisterParameter("bias", bias ? new Parameter(Tensor.Zeros(new Shape(outChannels))) : null);
    }

    public int DeformGroups { get; }
    public int Kernel { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Deformable convolution of <paramref name="x"/> at the given offsets, modulated by <paramref name="mask"/>.</summary>
    public Tensor Forward(Tensor x, Tensor offset, Tensor mask)
        => Ops.DeformConv2d(x, offset, Weight, Bias?.Data, mask, _stride, _padding, _dilation, _groups);
}
