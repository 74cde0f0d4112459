using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>torch.nn.LayerNorm over the trailing <c>normalizedShape</c>, with elementwise affine weight (1) and bias (0).</summary>
public sealed class LayerNorm : Layer
{
    private readonly int[] _shape;
    private readonly double _eps;

    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true)
    {
        _shape = normalizedShape;
        _eps = eps;
        Weight = RegisterParameter("weight", elementwiseAffine ? new Parameter(Tensor.Ones(new Shape(normalizedShape))) : null);
        Bias = RegisterParameter("bias", elementwiseAffine ? new Parameter(Tensor.Zeros(new Shape(normalizedShape))) : null);
    }

    public LayerNorm(int features, double eps = 1e-5) : this([features], eps) { }

    public Parameter? Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x) => Ops.LayerNorm(x, _shape, Weight?.Data, Bias?.Data, _eps);
}

/// <summary>
/// torch.nn.BatchNorm1d/2d/3d (the op is rank-agnostic): affine weight/bias, buffers running_mean,
/// running_var and num_batches_tracked; training mode normalises with batch statistics and updates the
/// running ones (momentum, unbiased variance), eval mode uses the running ones.
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly double _eps, _momentum;

    public BatchNorm(int features, double eps = 1e-5, double momentum = 0.1, bool affine = true)
    {
        _eps = eps;
        _momentum = momentum;
        Weight = RegisterParameter("weight", affine ? new Parameter(Tensor.Ones(new Shape(features))) : null);
        Bias = RegisterParameter("bias", affine ? new Parameter(Tensor.Zeros(new Shape(features))) : null);
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(new Shape(features)));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(new Shape(features)));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros(new Shape()));
    }

    public Parameter? Weight { get; }
    public Parameter? Bias { get; }
    public ModuleBuffer RunningMean { get; }
    public ModuleBuffer RunningVar { get; }

    /// <summary>An int64 in PyTorch; a float here (exact up to 2²⁴ batches).</summary>
    public ModuleBuffer NumBatchesTracked { get; }

    public override Tensor Forward(Tensor x)
    {
        if (Training)
        {
            NumBatchesTracked.Data.AsSpan()[0] += 1;
            NumBatchesTracked.Data.MarkModified();
        }
        return Ops.BatchNorm(x, RunningMean, RunningVar, Weight?.Data, Bias?.Data, Training, _momentum, _eps);
    }

    /// <summary>
    /// The weight and bias of a convolution (<paramref name="convWeight"/> [Cout, …], optional <paramref name="convBias"/>
    /// [Cout]) followed by this layer in evaluation mode, as one convolution: w·s and (b − running_mean)·s + β with
    /// s = γ/√(running_var + eps) per output channel (γ = 1, β = 0 without affine), in the weight's dtype with pooled
    /// tensors (inference folds every call, so no per-call arrays). Not recorded; the caller owns both results.
    /// </summary>
    public (Tensor Weight, Tensor Bias) FoldIntoConvolution(Tensor convWeight, Tensor? convBias)
    {
        int c = convWeight.Size(0);
        if (RunningMean.Data.NumElements != c)
            throw new ArgumentException($"BatchNorm over {RunningMean.Data.NumElements} channels cannot follow a convolution with {c} output channels (weight {convWeight.Shape}).");
        using var noGrad = Derain.Tensors.Autograd.GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        var scale = Ops.Div(Weight is null ? Tensor.Ones(new Shape(c), convWeight.DType) : Weight.Data, Ops.Sqrt(Ops.Add(RunningVar.Data, _eps)));
        var shape = new int[convWeight.Rank];
        Array.Fill(shape, 1);
        shape[0] = c;
        var weight = Ops.Mul(convWeight, Ops.Reshape(scale, shape));
        var shifted = convBias is null ? Ops.Neg(RunningMean.Data) : Ops.Sub(convBias, RunningMean.Data);
        var bias = Ops.Mul(shifted, scale);
        if (Bias is not null) bias = Ops.Add(bias, Bias.Data);
        TensorScope.Detach(weight);
        TensorScope.Detach(bias);
        return (weight, bias);
    }

    /// <summary>
    /// relu(Forward(x)) as one fused op (<see cref="Ops.BatchNormRelu"/>): the same values, gradients and running-statistics
    /// update as this layer followed by torch.nn.ReLU, without storing the normalised tensor before the ReLU.
    /// </summary>
    public Tensor ForwardRelu(Tensor x)
    {
        if (Training)
        {
            NumBatchesTracked.Data.AsSpan()[0] += 1;
            NumBatchesTracked.Data.MarkModified();
        }
        return Ops.BatchNormRelu(x, RunningMean, RunningVar, Weight?.Data, Bias?.Data, Training, _momentum, _eps);
    }
}

/// <summary>torch.nn.InstanceNorm2d: per-sample, per-channel normalisation (no affine and no running statistics by default).</summary>
public sealed class InstanceNorm : Layer
{
    private readonly double _eps;

    public InstanceNorm(int features, double eps = 1e-5, bool affine = false)
    {
        _eps = eps;
        Weight = RegisterParameter("weight", affine ? new Parameter(Tensor.Ones(new Shape(features))) : null);
        Bias = RegisterParameter("bias", affine ? new Parameter(Tensor.Zeros(new Shape(features))) : null);
    }

    public Parameter? Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x) => Ops.InstanceNorm(x, null, null, Weight?.Data, Bias?.Data, useInputStats: true, eps: _eps);
}
