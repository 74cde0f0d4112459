using Derain.NN.Init;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>
/// torch.nn.Conv1d/2d/3d: weight [out, in/groups, k…] and optional bias, initialised as PyTorch does
/// (kaiming_uniform with a = √5 for the weight, U(±1/√fan_in) for the bias) from the given generator.
/// Padding may be explicit, per side, or TensorFlow 'SAME' (<see cref="ConvPadding.Same"/>).
/// </summary>
public sealed class ConvNd : Layer
{
    private readonly int[] _stride, _dilation;
    private readonly ConvPadding _padding;

    public ConvNd(int spatialRank, int inChannels, int outChannels, int[] kernelSize, Generator generator,
        int[]? stride = null, ConvPadding padding = default, int[]? dilation = null, int groups = 1, bool bias = true)
    {
        if (spatialRank is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(spatialRank), "Convolutions have 1 to 3 spatial dimensions.");
        if (kernelSize.Length != spatialRank) throw new ArgumentException($"Conv{spatialRank}d needs {spatialRank} kernel sizes.");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv{spatialRank}d: {groups} groups must divide in ({inChannels}) and out ({outChannels}) channels.");
        SpatialRank = spatialRank;
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        _stride = stride ?? Enumerable.Repeat(1, spatialRank).ToArray();
        _dilation = dilation ?? Enumerable.Repeat(1, spatialRank).ToArray();
        _padding = padding;
        int[] wShape = [outChannels, inChannels / groups, .. kernelSize];
        Weight = RegisterParameter("weight", Initializers.KaimingUniform(Tensor.Zeros(new Shape(wShape)), generator, a: Math.Sqrt(5)));
        Bias = RegisterParameter("bias", bias ? new Parameter(Initializers.DefaultBias(Tensor.Zeros(new Shape(outChannels)), new Shape(wShape), generator)) : null);
    }

    public int SpatialRank { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x) => SpatialRank switch
    {
        1 => Ops.Conv1d(x, Weight, Bias?.Data, _stride[0], _padding, _dilation[0], Groups),
        2 => Ops.Conv2d(x, Weight, Bias?.Data, _stride, _padding, _dilation, Groups),
        _ => Ops.Conv3d(x, Weight, Bias?.Data, _stride, _padding, _dilation, Groups),
    };

    /// <summary>
    /// This layer applied to cat(<paramref name="parts"/>, dim 1) without building the concatenation
    /// (<see cref="Ops.Conv2dConcat"/>, with this layer's padding): for a U-Net decoder's first convolution after a skip
    /// connection, whose recorded input would otherwise be kept whole until the backward pass. Ungrouped, stride 1,
    /// undilated Conv2d only.
    /// </summary>
    public Tensor ForwardOnConcat(IReadOnlyList<Tensor> parts)
    {
        if (SpatialRank != 2 || Groups != 1 || _dilation.Any(d => d != 1) || _stride.Any(s => s != 1))
            throw new InvalidOperationException($"A convolution over concatenated parts needs an ungrouped, undilated, stride-1 Conv2d; this layer is Conv{SpatialRank}d, groups {Groups}, stride [{string.Join(", ", _stride)}], dilation [{string.Join(", ", _dilation)}].");
        return Ops.Conv2dConcat(parts, Weight, Bias?.Data, _padding);
    }

    /// <summary>
    /// The 2-D convolution with its input and/or output channel-blocked or channels-last (<see cref="ActivationLayout"/>, see
    /// <see cref="Ops.Conv2d(Tensor, Tensor, Tensor?, int, ConvPadding, ActivationLayout, ActivationLayout)"/>); ungrouped,
    /// undilated layers with one stride for both dimensions.
    /// </summary>
    public Tensor Forward(Tensor x, ActivationLayout input, ActivationLayout output = ActivationLayout.Planar)
    {
        if (SpatialRank != 2 || Groups != 1 || _dilation.Any(d => d != 1) || _stride[0] != _stride[1])
            throw new InvalidOperationException($"Channel-blocked and channels-last activations need an ungrouped, undilated Conv2d with one stride; this layer is Conv{SpatialRank}d, groups {Groups}, stride [{string.Join(", ", _stride)}], dilation [{string.Join(", ", _dilation)}].");
        return Ops.Conv2d(x, Weight, Bias?.Data, _stride[0], _padding, input, output);
    }

    /// <summary>
    /// relu(batchNorm(conv(x))) for a 2-D convolution followed by <paramref name="batchNorm"/> and a ReLU. In evaluation
    /// mode without gradient recording the normalisation is folded into the convolution (w·γ/√(var + eps) per output
    /// channel, bias (b − mean)·γ/√(var + eps) + β) and the ReLU runs inside it
    /// (<see cref="Ops.Conv2dRelu(Tensor, Tensor, Tensor?, int[], ConvPadding, int[], int)"/>): one pass over the output
    /// instead of three. Equal to the unfused layers up to float32 rounding of the folded weights; otherwise (training,
    /// recording, other ranks) it runs them as they are, with <see cref="BatchNorm.ForwardRelu"/>.
    /// </summary>
    public Tensor ForwardBatchNormRelu(BatchNorm batchNorm, Tensor x)
    {
        if (SpatialRank != 2 || Training || batchNorm.Training || Derain.Tensors.Autograd.GradMode.IsEnabled)
            return batchNorm.ForwardRelu(Forward(x));
        var (w, b) = batchNorm.FoldIntoConvolution(Weight, Bias?.Data);
        using (w)
        using (b)
            return Ops.Conv2dRelu(x, w, b, _stride, _padding, _dilation, Groups);
    }

    /// <summary>torch.nn.Conv1d.</summary>
    public static ConvNd Conv1d(int inCh, int outCh, int kernel, Generator g, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
        => new(1, inCh, outCh, [kernel], g, [stride], padding, [dilation], groups, bias);

    /// <summary>torch.nn.Conv2d with square kernel, stride, padding and dilation.</summary>
    public static ConvNd Conv2d(int inCh, int outCh, int kernel, Generator g, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
        => new(2, inCh, outCh, [kernel, kernel], g, [stride, stride], padding, [dilation, dilation], groups, bias);

    /// <summary>torch.nn.Conv2d with any padding (e.g. <see cref="ConvPadding.Same"/>).</summary>
    public static ConvNd Conv2d(int inCh, int outCh, int kernel, Generator g, int stride, ConvPadding padding, bool bias = true)
        => new(2, inCh, outCh, [kernel, kernel], g, [stride, stride], padding, [1, 1], 1, bias);

    /// <summary>torch.nn.Conv3d with per-dimension kernel (T, H, W), stride and padding.</summary>
    public static ConvNd Conv3d(int inCh, int outCh, int[] kernel, Generator g, int[]? stride = null, int[]? padding = null, bool bias = true)
        => new(3, inCh, outCh, kernel, g, stride, padding ?? [0, 0, 0], null, 1, bias);
}

/// <summary>
/// torch.nn.ConvTranspose2d: weight [in, out/groups, kh, kw], stride, padding, output_padding, groups,
/// dilation; PyTorch's default initialisation (its fan_in is taken from weight dim 1, as PyTorch does).
/// </summary>
public sealed class ConvTranspose2d : Layer
{
    private readonly int _stride, _padding, _outputPadding, _groups, _dilation;

    public ConvTranspose2d(int inChannels, int outChannels, int kernel, Generator generator, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1)
    {
        (_stride, _padding, _outputPadding, _groups, _dilation) = (stride, padding, outputPadding, groups, dilation);
        var wShape = new Shape(inChannels, outChannels / groups, kernel, kernel);
        Weight = RegisterParameter("weight", Initializers.KaimingUniform(Tensor.Zeros(wShape), generator, a: Math.Sqrt(5)));
        Bias = RegisterParameter("bias", bias ? new Parameter(Initializers.DefaultBias(Tensor.Zeros(new Shape(outChannels)), wShape, generator)) : null);
    }

    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x)
        => Ops.ConvTranspose2d(x, Weight, Bias?.Data, _stride, _padding, _outputPadding, _groups, _dilation);
}
