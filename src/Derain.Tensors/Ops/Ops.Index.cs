using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.index_select: the slices of <paramref name="x"/> at <paramref name="index"/> (a 1-D, or 0-D, index
    /// tensor) along <paramref name="dim"/>, in that order; indices may repeat. The backward pass adds each
    /// output slice's gradient onto the slice it came from (index_add).
    /// </summary>
    public static Tensor IndexSelect(Tensor x, int dim, IndexTensor index)
    {
        x.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(index);
        int d = NormalizeDimFor("IndexSelect", x.Shape, dim);
        if (index.Rank > 1)
            throw ShapeError("IndexSelect", $"index must be 1-D; got index shape {index.Shape} for input {x.Shape}.");
        CheckIndexRange("IndexSelect", index.Span, x.Shape, d, index.Shape);
        var geo = new SliceGeometry(x.Shape.Product(0, d), x.Shape[d], x.Shape.Product(d + 1, x.Rank));
        var y = Tensor.Empty(x.Shape.With(d, index.NumElements), x.DType);
        if (x.DType == DType.Float32) IndexSelectKernel(x.Span<float>(), y.Span<float>(), index.Span, geo);
        else IndexSelectKernel(x.Span<double>(), y.Span<double>(), index.Span, geo);
        return GradNode.Record(y, new IndexSelectBackward(x.Shape, geo, index), x);
    }

    /// <summary>
    /// torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] for <paramref name="dim"/> = 0 (likewise for other
    /// dims). <paramref name="index"/> has the rank of <paramref name="x"/>, no larger a size in any other
    /// dimension, and gives the output's shape. The backward pass is scatter_add.
    /// </summary>
    public static Tensor Gather(Tensor x, int dim, IndexTensor index)
    {
        x.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(index);
        int d = NormalizeDimFor("Gather", x.Shape, dim);
        bool ok = index.Rank == x.Rank;
        for (int k = 0; ok && k < x.Rank; k++) ok = k == d || index.Shape[k] <= x.Shape[k];
        if (!ok)
            throw ShapeError("Gather", $"index shape {index.Shape} must have the rank of input {x.Shape} and no larger size outside dimension {d}.");
        CheckIndexRange("Gather", index.Span, x.Shape, d, index.Shape);
        var y = Tensor.Empty(index.Shape, x.DType);
        if (x.DType == DType.Float32) GatherKernel(x.Span<float>(), x.Shape, y.Span<float>(), index, d, scatter: false);
        else GatherKernel(x.Span<double>(), x.Shape, y.Span<double>(), index, d, scatter: false);
        return GradNode.Record(y, new GatherBackward(x.Shape, d, index), x);
    }

    /// <summary>[outer, size, inner]: the input viewed around the indexed dimension.</summary>
    private readonly record struct SliceGeometry(int Outer, int Size, int Inner);

    private static void CheckIndexRange(string op, ReadOnlySpan<int> index, Shape shape, int d, Shape indexShape)
    {
        foreach (int i in index)
            if ((uint)i >= (uint)shape[d])
                throw ShapeError(op, $"index {i} is out of range for dimension {d} of size {shape[d]} (input {shape}, index shape {indexShape}).");
    }

    private static void IndexSelectKernel<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> index, SliceGeometry g)
    {
        int n = index.Length;
        for (int o = 0; o < g.Outer; o++)
            for (int j = 0; j < n; j++)
                x.Slice((o * g.Size + index[j]) * g.Inner, g.Inner).CopyTo(y.Slice((o * n + j) * g.Inner, g.Inner));
    }

    private static void IndexAddKernel<T>(ReadOnlySpan<T> gy, Span<T> gx, ReadOnlySpan<int> index, SliceGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = index.Length;
        for (int o = 0; o < g.Outer; o++)
            for (int j = 0; j < n; j++)
            {
                var dst = gx.Slice((o * g.Size + index[j]) * g.Inner, g.Inner);
                TensorPrimitives.Add(dst, gy.Slice((o * n + j) * g.Inner, g.Inner), dst);
            }
    }

    /// <summary>
    /// Walks the index tensor row-major. Position i pairs <paramref name="part"/>[i] with the element of
    /// <paramref name="full"/> (shape <paramref name="fullShape"/>) at the same coordinates except along
    /// <paramref name="dim"/>, where the index applies: gather copies full → part, scatter_add adds part → full.
    /// </summary>
    private static void GatherKernel<T>(Span<T> full, Shape fullShape, Span<T> part, IndexTensor index, int dim, bool scatter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = index.Rank, n = index.NumElements;
        if (n == 0) return;
        var xStrides = fullShape.Strides();
        var ids = index.Span;
        var pos = new int[r];
        int baseOff = 0;
        for (int i = 0; i < n; i++)
        {
            int off = baseOff + ids[i] * xStrides[dim];
            if (scatter) full[off] += part[i];
            else part[i] = full[off];
            for (int k = r - 1; k >= 0; k--)
            {
                if (k != dim) baseOff += xStrides[k];
                if (++pos[k] < index.Shape[k]) break;
                if (k != dim) baseOff -= xStrides[k] * index.Shape[k];
                pos[k] = 0;
            }
        }
    }

    private sealed class IndexSelectBackward(Shape input, SliceGeometry geo, IndexTensor index) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var gx = Tensor.Zeros(input, g.DType);
            if (g.DType == DType.Float32) IndexAddKernel(g.Span<float>(), gx.Span<float>(), index.Span, geo);
            else IndexAddKernel(g.Span<double>(), gx.Span<double>(), index.Span, geo);
            return [gx];
        }
    }

    private sealed class GatherBackward(Shape input, int dim, IndexTensor index) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var gx = Tensor.Zeros(input, g.DType);
            if (g.DType == DType.Float32) GatherKernel(gx.Span<float>(), input, g.Span<float>(), index, dim, scatter: true);
            else GatherKernel(gx.Span<double>(), input, g.Span<double>(), index, dim, scatter: true);
            return [gx];
        }
    }
}
