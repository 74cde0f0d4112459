using Derain.NN.Init;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>torch.nn.Linear: y = x·Wᵀ + b with W [out, in]; PyTorch's default initialisation.</summary>
public sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true)
    {
        var wShape = new Shape(outFeatures, inFeatures);
        Weight = RegisterParameter("weight", Initializers.KaimingUniform(Tensor.Zeros(wShape), generator, a: Math.Sqrt(5)));
        Bias = RegisterParameter("bias", bias ? new Parameter(Initializers.DefaultBias(Tensor.Zeros(new Shape(outFeatures)), wShape, generator)) : null);
    }

    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias?.Data);
}
