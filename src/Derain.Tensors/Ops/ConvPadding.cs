namespace Derain.Tensors;

/// <summary>
/// Zero padding of a convolution's spatial dimensions: explicit sizes, the same on both sides
/// (torch.nn.functional.conv2d's <c>padding=(ph, pw)</c>) or per side, or TensorFlow's <c>'SAME'</c>, which
/// pads just enough that the output has ceil(input / stride) positions, putting the odd element at the end.
/// An int converts implicitly, so <c>padding: 1</c> reads as in PyTorch; <c>default</c> means no padding.
/// </summary>
public readonly struct ConvPadding : IEquatable<ConvPadding>
{
    private readonly int[]? _begin;
    private readonly int[]? _end;

    private ConvPadding(int[]? begin, int[]? end, bool same)
    {
        _begin = begin;
        _end = end;
        IsSame = same;
    }

    /// <summary>No padding (TensorFlow 'VALID', PyTorch padding=0).</summary>
    public static ConvPadding Valid => default;

    /// <summary>
    /// TensorFlow 'SAME': per dimension, total = max((ceil(in/stride) − 1)·stride + (k − 1)·dilation + 1 − in, 0),
    /// begin = total / 2, end = total − begin. With stride 1 this is PyTorch's padding='same'.
    /// </summary>
    public static ConvPadding Same { get; } = new(null, null, true);

    /// <summary>True for <see cref="Same"/>, whose sizes depend on the input.</summary>
    public bool IsSame { get; }

    /// <summary>The same padding on both sides: one value for every spatial dimension, or one per dimension.</summary>
    public static ConvPadding Symmetric(params int[] padding)
    {
        ArgumentNullException.ThrowIfNull(padding);
        return new((int[])padding.Clone(), (int[])padding.Clone(), false);
    }

    /// <summary>Separate padding before and after each spatial dimension (one value each, or one per dimension).</summary>
    public static ConvPadding PerSide(int[] begin, int[] end)
    {
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        if (begin.Length != end.Length)
            throw new ArgumentException($"ConvPadding: {begin.Length} begin values and {end.Length} end values; give one pair per spatial dimension.");
        return new((int[])begin.Clone(), (int[])end.Clone(), false);
    }

    public static implicit operator ConvPadding(int padding) => Symmetric(padding);

    public static implicit operator ConvPadding(int[] padding) => Symmetric(padding);

    /// <summary>
    /// The padding before and after each of the spatial dimensions of <paramref name="inSize"/>, with errors
    /// that name <paramref name="op"/>.
    /// </summary>
    internal (int[] Begin, int[] End) Resolve(string op, int[] inSize, int[] kernel, int[] stride, int[] dilation)
    {
        int sr = inSize.Length;
        var begin = new int[sr];
        var end = new int[sr];
        if (IsSame)
        {
            for (int i = 0; i < sr; i++)
            {
                int outSize = (inSize[i] + stride[i] - 1) / stride[i];
                int total = Math.Max((outSize - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - inSize[i], 0);
                begin[i] = total / 2;
                end[i] = total - begin[i];
            }
            return (begin, end);
        }
        for (int i = 0; i < sr; i++)
        {
            begin[i] = Pick(op, _begin, i, sr);
            end[i] = Pick(op, _end, i, sr);
            if (begin[i] < 0 || end[i] < 0) throw new ArgumentException($"{op}: padding {this} has a negative size.");
        }
        return (begin, end);
    }

    private int Pick(string op, int[]? values, int i, int sr)
    {
        if (values is null || values.Length == 0) return 0;
        if (values.Length == 1) return values[0];
        if (values.Length != sr)
            throw new ArgumentException($"{op}: padding {this} has {values.Length} values per side; the input has {sr} spatial dimensions.");
        return values[i];
    }

    public bool Equals(ConvPadding other) =>
        IsSame == other.IsSame && Normal(_begin).SequenceEqual(Normal(other._begin)) && Normal(_end).SequenceEqual(Normal(other._end));

    public override bool Equals(object? obj) => obj is ConvPadding p && Equals(p);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(IsSame);
        foreach (int v in Normal(_begin)) h.Add(v);
        foreach (int v in Normal(_end)) h.Add(v);
        return h.ToHashCode();
    }

    public static bool operator ==(ConvPadding a, ConvPadding b) => a.Equals(b);

    public static bool operator !=(ConvPadding a, ConvPadding b) => !a.Equals(b);

    /// <summary>"Same", "Valid", "[1, 2]" (symmetric) or "[1, 0] before, [2, 1] after".</summary>
    public override string ToString()
    {
        if (IsSame) return "Same";
        var b = Normal(_begin);
        var e = Normal(_end);
        if (b.All(v => v == 0) && e.All(v => v == 0)) return "Valid";
        return b.SequenceEqual(e) ? Shape.Format(b) : $"{Shape.Format(b)} before, {Shape.Format(e)} after";
    }

    private static int[] Normal(int[]? values) => values ?? [0];
}
