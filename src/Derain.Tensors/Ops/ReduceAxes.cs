namespace Derain.Tensors;

/// <summary>
/// Dimension arguments of the reduction, softmax and normalisation ops: negative indices count from the end,
/// and every error names the op and the shape it received.
/// </summary>
internal static class ReduceAxes
{
    /// <summary>Maps <paramref name="dim"/> to 0..rank−1. A 0-d tensor accepts 0 and −1, like torch, as its single axis.</summary>
    public static int Normalize(string op, Shape shape, int dim)
    {
        int r = Math.Max(shape.Rank, 1);
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
            throw Ops.ShapeError(op, $"dimension {dim} is out of range for shape {shape} (expected a dimension in [{-r}, {r - 1}]).");
        return d;
    }

    /// <summary>Normalises a list of dimensions; rejects an empty list and repeated dimensions.</summary>
    public static bool[] Mask(string op, Shape shape, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0)
            throw Ops.ShapeError(op, $"no dimension given for shape {shape}; pass at least one, or use the overload that reduces every element.");
        var mask = new bool[Math.Max(shape.Rank, 1)];
        foreach (int dim in dims)
        {
            int d = Normalize(op, shape, dim);
            if (mask[d]) throw Ops.ShapeError(op, $"dimension {dim} appears more than once in [{string.Join(", ", dims)}] for shape {shape}.");
            mask[d] = true;
        }
        return mask;
    }

    /// <summary>A mask reducing every dimension.</summary>
    public static bool[] All(Shape shape)
    {
        var mask = new bool[Math.Max(shape.Rank, 1)];
        Array.Fill(mask, true);
        return mask;
    }

    /// <summary>The shape after reducing the masked dimensions: size 1 with keepDim, removed otherwise.</summary>
    public static Shape Reduced(Shape shape, bool[] mask, bool keepDim)
    {
        var dims = new List<int>(shape.Rank);
        for (int i = 0; i < shape.Rank; i++)
        {
            if (!mask[i]) dims.Add(shape[i]);
            else if (keepDim) dims.Add(1);
        }
        return new Shape([.. dims]);
    }

    /// <summary>Sizes before, of and after one dimension ([outer, dim, inner]); a 0-d tensor is [1, 1, 1].</summary>
    public static (int Outer, int Size, int Inner) Split(Shape shape, int d)
    {
        if (shape.Rank == 0) return (1, 1, 1);
        return (shape.Product(0, d), shape[d], shape.Product(d + 1, shape.Rank));
    }
}
