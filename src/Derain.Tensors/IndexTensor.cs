using System.Globalization;
using System.Text;

namespace Derain.Tensors;

/// <summary>
/// An immutable row-major array of int32 indices with a shape: the torch.long tensors that index ops take
/// (index_select, gather) and return (argmax, topk, max_pool2d's indices). <see cref="Tensor"/> holds only
/// floats, so indices live here; they never take part in autograd.
/// </summary>
public sealed class IndexTensor
{
    private readonly int[] _data;

    /// <summary>Creates an index tensor from a copy of <paramref name="data"/> in the given shape.</summary>
    public IndexTensor(int[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = new Shape(shape);
        if (s.NumElements != data.Length)
            throw new ArgumentException($"IndexTensor: {data.Length} indices do not fill shape {s} ({s.NumElements} elements).");
        _data = (int[])data.Clone();
        Shape = s;
    }

    /// <summary>Takes ownership of <paramref name="data"/> (ops that built it hand it over without a copy).</summary>
    internal IndexTensor(Shape shape, int[] data)
    {
        if (shape.NumElements != data.Length)
            throw new InvalidOperationException($"Internal: {data.Length} indices for shape {shape}.");
        _data = data;
        Shape = shape;
    }

    /// <summary>A one-dimensional index tensor holding a copy of <paramref name="indices"/>.</summary>
    public static IndexTensor Of(params int[] indices) => new(indices, indices.Length);

    /// <summary>torch.Tensor.shape</summary>
    public Shape Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of indices.</summary>
    public int NumElements => _data.Length;

    /// <summary>The indices, row-major.</summary>
    public ReadOnlySpan<int> Span => _data;

    /// <summary>The index at flat (row-major) position <paramref name="i"/>.</summary>
    public int this[int i] => _data[i];

    /// <summary>The index at a multi-dimensional position (one coordinate per dimension).</summary>
    public int At(params int[] position)
    {
        if (position.Length != Rank)
            throw new ArgumentException($"IndexTensor: position has {position.Length} coordinates for shape {Shape}.");
        int flat = 0;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)position[d] >= (uint)Shape[d])
                throw new ArgumentOutOfRangeException(nameof(position), $"IndexTensor: coordinate {position[d]} is outside dimension {d} of shape {Shape}.");
            flat = flat * Shape[d] + position[d];
        }
        return _data[flat];
    }

    /// <summary>A copy of the indices.</summary>
    public int[] ToArray() => (int[])_data.Clone();

    /// <summary>The same indices in another shape with as many elements (shares the immutable data).</summary>
    public IndexTensor Reshape(params int[] shape)
    {
        var s = new Shape(shape);
        if (s.NumElements != NumElements)
            throw new ArgumentException($"IndexTensor.Reshape: shape {Shape} ({NumElements} elements) cannot be viewed as {s}.");
        return new IndexTensor(s, _data);
    }

    /// <summary>The indices as a floating-point tensor (e.g. to store or compare them), outside the graph.</summary>
    public Tensor ToTensor(DType dtype = DType.Float32)
    {
        var t = Tensor.Empty(Shape, dtype);
        if (dtype == DType.Float32) { var s = t.Span<float>(); for (int i = 0; i < _data.Length; i++) s[i] = _data[i]; }
        else { var s = t.Span<double>(); for (int i = 0; i < _data.Length; i++) s[i] = _data[i]; }
        return t;
    }

    public override string ToString()
    {
        var sb = new StringBuilder("IndexTensor").Append(Shape).Append(" [");
        int n = Math.Min(NumElements, 8);
        for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ", ").Append(_data[i].ToString(CultureInfo.InvariantCulture));
        if (NumElements > n) sb.Append(", …");
        return sb.Append(']').ToString();
    }
}
