namespace Derain.Tensors.Kernels;

/// <summary>
/// Sizes of one N-d convolution (1, 2 or 3 spatial dims), as the kernels see it: input x [N, Cin, *InSize],
/// weight w [Cout, Cin/Groups, *Kernel], output y [N, Cout, *OutSize], with per-side zero padding
/// (PadBegin/PadEnd may differ, as TensorFlow 'SAME' needs). A transposed convolution is described by the
/// geometry of the convolution it is the adjoint of (its output is this geometry's input).
/// Equal geometries compare equal, so backends can cache primitives per geometry.
/// </summary>
public sealed record ConvGeometry(
    int N, int InChannels, int OutChannels, int Groups,
    int[] InSize, int[] Kernel, int[] Stride, int[] Dilation, int[] PadBegin, int[] PadEnd, int[] OutSize)
{
    /// <summary>Number of spatial dimensions (1, 2 or 3).</summary>
    public int SpatialRank => InSize.Length;

    /// <summary>Elements per spatial plane of the input.</summary>
    public int InPlane => Product(InSize);

    /// <summary>Elements per spatial plane of the output.</summary>
    public int OutPlane => Product(OutSize);

    /// <summary>Kernel elements per spatial plane.</summary>
    public int KernelPlane => Product(Kernel);

    /// <summary>
    /// The per-op profiler's label of a convolution pass named <paramref name="name"/>: channels, kernel, stride, input
    /// size and batch, the same for every layout so profiles compare layer by layer.
    /// </summary>
    internal string ProfileLabel(string name) =>
        $"{name} {InChannels}→{OutChannels} k{string.Join('×', Kernel)} s{Stride[0]} {string.Join('×', InSize)} N{N}";

    /// <summary>Output size of one dimension: floor((in + pads − dilation·(k−1) − 1) / stride) + 1.</summary>
    public static int OutputSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd)
        => (input + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>Builds and validates the geometry for input shape <paramref name="x"/> and weight shape <paramref name="w"/>.</summary>
    public static ConvGeometry Create(string op, Shape x, Shape w, int[] stride, int[] dilation, int[] padBegin, int[] padEnd, int groups)
    {
        int sr = x.Rank - 2;
        if (sr < 1 || sr > 3 || w.Rank != x.Rank)
            throw new ArgumentException($"{op}: input {x} and weight {w} must both be [N, C, spatial…] with 1 to 3 spatial dimensions.");
        if (stride.Length != sr || dilation.Length != sr || padBegin.Length != sr || padEnd.Length != sr)
            throw new ArgumentException($"{op}: stride, dilation and padding need {sr} values each for input {x}.");
        if (groups < 1 || x[1] % groups != 0 || w[0] % groups != 0)
            throw new ArgumentException($"{op}: {groups} groups must divide input channels ({x[1]}) and output channels ({w[0]}).");
        if (w[1] * groups != x[1])
            throw new ArgumentException($"{op}: weight {w} expects {w[1] * groups} input channels ({w[1]} per group × {groups} groups); input {x} has {x[1]}.");
        var inSize = new int[sr];
        var k = new int[sr];
        var outSize = new int[sr];
        for (int i = 0; i < sr; i++)
        {
            inSize[i] = x[i + 2];
            k[i] = w[i + 2];
            if (stride[i] < 1 || dilation[i] < 1 || padBegin[i] < 0 || padEnd[i] < 0)
                throw new ArgumentException($"{op}: stride and dilation must be ≥ 1 and padding ≥ 0.");
            outSize[i] = OutputSize(inSize[i], k[i], stride[i], dilation[i], padBegin[i], padEnd[i]);
            if (outSize[i] < 1)
                throw new ArgumentException($"{op}: input {x} is too small for kernel {w} with this padding and dilation (output size {outSize[i]} in spatial dim {i}).");
        }
        return new ConvGeometry(x[0], x[1], w[0], groups, inSize, k, (int[])stride.Clone(), (int[])dilation.Clone(),
            (int[])padBegin.Clone(), (int[])padEnd.Clone(), outSize);
    }

    private static int Product(int[] a)
    {
        int p = 1;
        foreach (int v in a) p *= v;
        return p;
    }

    public bool Equals(ConvGeometry? other) =>
        other is not null && N == other.N && InChannels == other.InChannels && OutChannels == other.OutChannels &&
        Groups == other.Groups && InSize.AsSpan().SequenceEqual(other.InSize) && Kernel.AsSpan().SequenceEqual(other.Kernel) &&
        Stride.AsSpan().SequenceEqual(other.Stride) && Dilation.AsSpan().SequenceEqual(other.Dilation) &&
        PadBegin.AsSpan().SequenceEqual(other.PadBegin) && PadEnd.AsSpan().SequenceEqual(other.PadEnd) &&
        OutSize.AsSpan().SequenceEqual(other.OutSize);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(N); h.Add(InChannels); h.Add(OutChannels); h.Add(Groups);
        foreach (var a in new[] { InSize, Kernel, Stride, Dilation, PadBegin, PadEnd })
            foreach (int v in a) h.Add(v);
        return h.ToHashCode();
    }
}
