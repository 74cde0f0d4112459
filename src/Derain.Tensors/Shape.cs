using System.Collections;

namespace Derain.Tensors;

/// <summary>An immutable tensor shape (row-major sizes, at most 5 dimensions).</summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    /// <summary>The largest rank a tensor may have (N,C,T,H,W).</summary>
    public const int MaxRank = 5;

    private readonly int[]? _dims;

    /// <summary>Creates a shape; every size must be non-negative and the rank at most <see cref="MaxRank"/>.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length > MaxRank)
            throw new ArgumentException($"Shape {Format(dims)} has rank {dims.Length}; tensors have at most {MaxRank} dimensions.");
        long n = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"Shape {Format(dims)} has a negative size.");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"Shape {Format(dims)} has more than {int.MaxValue} elements.");
        }
        _dims = (int[])dims.Clone();
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Number of dimensions (IReadOnlyList).</summary>
    public int Count => Rank;

    /// <summary>Size of dimension <paramref name="i"/>; negative indices count from the end.</summary>
    public int this[int i] => Dims[NormalizeDim(i)];

    /// <summary>The sizes as a read-only span.</summary>
    public ReadOnlySpan<int> Dims => _dims ?? [];

    /// <summary>Total number of elements (1 for a scalar).</summary>
    public int NumElements
    {
        get
        {
            int n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>A copy of the sizes.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>Maps a possibly negative dimension index to 0..Rank-1, or throws naming the shape.</summary>
    public int NormalizeDim(int dim)
    {
        int r = Rank;
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for shape {this} (rank {r}).");
        return d;
    }

    /// <summary>Product of sizes in [start, end).</summary>
    public int Product(int start, int end)
    {
        int n = 1;
        for (int i = start; i < end; i++) n *= Dims[i];
        return n;
    }

    /// <summary>Row-major strides in elements.</summary>
    public int[] Strides()
    {
        var s = new int[Rank];
        int acc = 1;
        for (int i = Rank - 1; i >= 0; i--) { s[i] = acc; acc *= Dims[i]; }
        return s;
    }

    /// <summary>A shape with dimension <paramref name="dim"/> replaced by <paramref name="size"/>.</summary>
    public Shape With(int dim, int size)
    {
        var a = ToArray();
        a[NormalizeDim(dim)] = size;
        return new Shape(a);
    }

    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>PyTorch-style text, e.g. [1, 3, 64, 64].</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static implicit operator Shape(int[] dims) => new(dims);
}
