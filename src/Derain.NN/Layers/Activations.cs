using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>torch.nn.ReLU</summary>
public sealed class Relu : Layer
{
    public override Tensor Forward(Tensor x) => Ops.Relu(x);
}

/// <summary>torch.nn.LeakyReLU(negative_slope)</summary>
public sealed class LeakyRelu(double negativeSlope = 0.01) : Layer
{
    public override Tensor Forward(Tensor x) => Ops.LeakyRelu(x, negativeSlope);
}

/// <summary>torch.nn.Sigmoid</summary>
public sealed class Sigmoid : Layer
{
    public override Tensor Forward(Tensor x) => Ops.Sigmoid(x);
}

/// <summary>torch.nn.Tanh</summary>
public sealed class Tanh : Layer
{
    public override Tensor Forward(Tensor x) => Ops.Tanh(x);
}

/// <summary>torch.nn.PReLU(num_parameters, init): one learnable slope per channel (dim 1), or one shared.</summary>
public sealed class PRelu : Layer
{
    public PRelu(int numParameters = 1, double init = 0.25)
        => Weight = RegisterParameter("weight", Tensor.Full(new Shape(numParameters), init));

    public Parameter Weight { get; }

    public override Tensor Forward(Tensor x) => Ops.PRelu(x, Weight);
}

/// <summary>torch.nn.PixelShuffle(upscale_factor) on [*, C·r², H, W].</summary>
public sealed class PixelShuffle(int upscaleFactor) : Layer
{
    public override Tensor Forward(Tensor x) => Ops.PixelShuffle(x, upscaleFactor);
}

/// <summary>torch.nn.Unfold: sliding blocks to columns.</summary>
public sealed class Unfold(int[] kernelSize, int[] stride, int[] padding, int[]? dilation = null) : Layer
{
    public override Tensor Forward(Tensor x) => Ops.Unfold(x, kernelSize, dilation, padding, stride);
}

/// <summary>torch.nn.Fold: columns back to an image, overlaps summed.</summary>
public sealed class Fold(int[] outputSize, int[] kernelSize, int[] stride, int[] padding, int[]? dilation = null) : Layer
{
    public override Tensor Forward(Tensor x) => Ops.Fold(x, outputSize, kernelSize, dilation, padding, stride);
}

/// <summary>
/// torch.nn.Dropout: in training, zeroes each element with probability p and scales the rest by 1/(1−p),
/// drawing the mask from a seeded generator so runs reproduce; identity in eval mode or for p = 0.
/// </summary>
public sealed class Dropout : Layer
{
    private readonly double _p;
    private readonly Generator _generator;

    public Dropout(double p, Generator generator)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), "Dropout probability must be in [0, 1).");
        _p = p;
        _generator = generator;
    }

    public override Tensor Forward(Tensor x)
    {
        if (!Training || _p == 0) return x;
        using var mask = Tensor.Zeros(x.Shape, x.DType);
        float keep = (float)(1 / (1 - _p));
        if (x.DType == DType.Float32)
        {
            var m = mask.Span<float>();
            for (int i = 0; i < m.Length; i++) m[i] = _generator.NextDouble() >= _p ? keep : 0f;
        }
        else
        {
            var m = mask.Span<double>();
            for (int i = 0; i < m.Length; i++) m[i] = _generator.NextDouble() >= _p ? 1 / (1 - _p) : 0;
        }
        return Ops.Mul(x, mask);
    }
}
