using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.cat: joins <paramref name="tensors"/> along <paramref name="dim"/>. All must have the same dtype
    /// and rank, and equal sizes in every other dimension.
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw ShapeError("Concat", "needs at least one tensor.");
        var first = tensors[0];
        foreach (var t in tensors) t.ThrowIfDisposed();
        int d = NormalizeDimFor("Concat", first.Shape, dim);
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            CheckSameDType("Concat", first, t);
            bool ok = t.Rank == first.Rank;
            for (int k = 0; ok && k < t.Rank; k++) ok = k == d || t.Shape[k] == first.Shape[k];
            if (!ok)
                throw ShapeError("Concat", $"shapes {string.Join(", ", tensors.Select(s => s.Shape.ToString()))} must match in every dimension except {d}; tensor {i} ({t.Shape}) differs from tensor 0 ({first.Shape}).");
            total += t.Shape[d];
        }
        var y = Tensor.Empty(first.Shape.With(d, total), first.DType);
        int outer = first.Shape.Product(0, d), inner = first.Shape.Product(d + 1, first.Rank);
        int start = 0;
        var sizes = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            sizes[i] = tensors[i].Shape[d];
            // Copying into a slab of the output is the adjoint of narrowing; reuse that scatter.
            if (y.DType == DType.Float32) NarrowScatter(tensors[i].Span<float>(), y.Span<float>(), outer, total, start, sizes[i], inner);
            else NarrowScatter(tensors[i].Span<double>(), y.Span<double>(), outer, total, start, sizes[i], inner);
            start += sizes[i];
        }
        return GradNode.Record(y, new ConcatBackward(d, sizes), [.. tensors]);
    }

    /// <summary>
    /// torch.split with an int: parts of <paramref name="splitSize"/> along <paramref name="dim"/> (the last one
    /// smaller when the size does not divide). Each part is a <see cref="Narrow"/> of <paramref name="x"/>, so
    /// it is a view when the dimensions before <paramref name="dim"/> have size 1, and its own graph node.
    /// </summary>
    public static Tensor[] Split(Tensor x, int splitSize, int dim = 0)
    {
        x.ThrowIfDisposed();
        int d = NormalizeDimFor("Split", x.Shape, dim);
        int size = x.Shape[d];
        if (splitSize < 0 || (splitSize == 0 && size > 0))
            throw ShapeError("Split", $"split size {splitSize} must be positive for dimension {d} of shape {x.Shape}.");
        if (size == 0) return [Narrow(x, d, 0, 0)];
        int n = (size + splitSize - 1) / splitSize;
        var sizes = new int[n];
        for (int i = 0; i < n; i++) sizes[i] = Math.Min(splitSize, size - i * splitSize);
        return SplitParts(x, d, sizes);
    }

    /// <summary>torch.split with a list: parts of the given <paramref name="sizes"/>, which must sum to the size of <paramref name="dim"/>.</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int dim = 0)
    {
        x.ThrowIfDisposed();
        int d = NormalizeDimFor("Split", x.Shape, dim);
        long sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw ShapeError("Split", $"sizes {Shape.Format(sizes)} must be non-negative (shape {x.Shape}).");
            sum += s;
        }
        if (sum != x.Shape[d])
            throw ShapeError("Split", $"sizes {Shape.Format(sizes)} sum to {sum}, but dimension {d} of shape {x.Shape} has size {x.Shape[d]}.");
        return SplitParts(x, d, sizes);
    }

    /// <summary>
    /// torch.chunk: splits <paramref name="dim"/> into parts of ceil(size / <paramref name="chunks"/>), so there
    /// may be fewer than <paramref name="chunks"/> parts (size 5 in 4 chunks gives 2, 2, 1).
    /// </summary>
    public static Tensor[] Chunk(Tensor x, int chunks, int dim = 0)
    {
        x.ThrowIfDisposed();
        int d = NormalizeDimFor("Chunk", x.Shape, dim);
        if (chunks < 1) throw ShapeError("Chunk", $"needs at least one chunk; got {chunks} for shape {x.Shape}.");
        int size = x.Shape[d];
        if (size == 0) return SplitParts(x, d, new int[chunks]);
        return Split(x, (size + chunks - 1) / chunks, d);
    }

    private static Tensor[] SplitParts(Tensor x, int d, int[] sizes)
    {
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Narrow(x, d, start, sizes[i]);
            start += sizes[i];
        }
        return parts;
    }

    private sealed class ConcatBackward(int dim, int[] sizes) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var grads = new Tensor?[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                if (NeedsGrad(i)) grads[i] = Narrow(g, dim, start, sizes[i]);
                start += sizes[i];
            }
            return grads;
        }
    }
}
