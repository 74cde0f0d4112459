using System.Numerics;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.argmax(dim, keepdim): the position of the largest value along <paramref name="dim"/>. Ties go to
    /// the first position; NaN counts as larger than any number, so the first NaN wins (as in PyTorch).
    /// </summary>
    public static IndexTensor Argmax(Tensor x, int dim, bool keepDim = false)
    {
        x.ThrowIfDisposed();
        int d = NormalizeDimFor("Argmax", x.Shape, dim);
        if (x.Shape[d] == 0) throw ShapeError("Argmax", $"dimension {d} of input {x.Shape} is empty.");
        var geo = new SliceGeometry(x.Shape.Product(0, d), x.Shape[d], x.Shape.Product(d + 1, x.Rank));
        var result = new int[geo.Outer * geo.Inner];
        if (x.DType == DType.Float32) ArgmaxKernel(x.Span<float>(), geo, result);
        else ArgmaxKernel(x.Span<double>(), geo, result);
        return new IndexTensor(ReducedShape(x.Shape, d, keepDim), result);
    }

    /// <summary>torch.argmax without dim: the flat (row-major) position of the largest value, as a 0-D index tensor.</summary>
    public static IndexTensor Argmax(Tensor x)
    {
        x.ThrowIfDisposed();
        if (x.NumElements == 0) throw ShapeError("Argmax", $"input {x.Shape} is empty.");
        var geo = new SliceGeometry(1, x.NumElements, 1);
        var result = new int[1];
        if (x.DType == DType.Float32) ArgmaxKernel(x.Span<float>(), geo, result);
        else ArgmaxKernel(x.Span<double>(), geo, result);
        return new IndexTensor(new Shape(), result);
    }

    /// <summary>
    /// torch.topk: the <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their
    /// positions. The values are a graph node whose backward pass scatters the gradient onto the selected
    /// positions (they are a <see cref="Gather"/> of <paramref name="x"/>). Order: by value, NaN counting as
    /// larger than any number; equal values keep their input order (lower index first). Results are always
    /// sorted, which is one of the orders PyTorch allows when <paramref name="sorted"/> is false.
    /// </summary>
    public static (Tensor Values, IndexTensor Indices) TopK(Tensor x, int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted;
        x.ThrowIfDisposed();
        int d = NormalizeDimFor("TopK", x.Shape, dim);
        if (k < 0 || k > x.Shape[d])
            throw ShapeError("TopK", $"k = {k} is outside [0, {x.Shape[d]}] for dimension {d} of input {x.Shape}.");
        var geo = new SliceGeometry(x.Shape.Product(0, d), x.Shape[d], x.Shape.Product(d + 1, x.Rank));
        var ids = new int[geo.Outer * k * geo.Inner];
        if (x.DType == DType.Float32) TopKKernel(x.Span<float>(), geo, k, largest, ids);
        else TopKKernel(x.Span<double>(), geo, k, largest, ids);
        var indices = new IndexTensor(x.Shape.With(d, k), ids);
        return (Gather(x, d, indices), indices);
    }

    private static Shape ReducedShape(Shape s, int d, bool keepDim)
    {
        var dims = s.ToArray().ToList();
        if (keepDim) dims[d] = 1; else dims.RemoveAt(d);
        return new Shape([.. dims]);
    }

    /// <summary>The order topk and argmax use: a ranks above b when it is larger, NaN above every number.</summary>
    private static int CompareWithNaNLargest<T>(T a, T b) where T : IFloatingPointIeee754<T>
    {
        bool na = T.IsNaN(a), nb = T.IsNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a.CompareTo(b);
    }

    private static void ArgmaxKernel<T>(ReadOnlySpan<T> x, SliceGeometry g, int[] result) where T : IFloatingPointIeee754<T>
    {
        // Sweep the reduced dimension in the outer loop so each pass reads a contiguous run of inner positions.
        var best = new T[g.Inner];
        for (int o = 0; o < g.Outer; o++)
        {
            var res = result.AsSpan(o * g.Inner, g.Inner);
            res.Clear();
            x.Slice(o * g.Size * g.Inner, g.Inner).CopyTo(best);
            for (int j = 1; j < g.Size; j++)
            {
                var row = x.Slice((o * g.Size + j) * g.Inner, g.Inner);
                for (int i = 0; i < g.Inner; i++)
                {
                    if (CompareWithNaNLargest(row[i], best[i]) > 0) { best[i] = row[i]; res[i] = j; }
                }
            }
        }
    }

    private static unsafe void TopKKernel<T>(ReadOnlySpan<T> x, SliceGeometry g, int k, bool largest, int[] ids)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k == 0 || x.Length == 0) return;
        fixed (T* px = x)
        {
            T* xs = px;
            StridedCopy.ForRanges((long)g.Outer * g.Inner, (long)g.Size * 8, (start, end) =>
            {
                var vals = new T[g.Size];
                var order = new int[g.Size];
                Comparison<int> cmp = largest
                    ? (a, b) => { int c = CompareWithNaNLargest(vals[b], vals[a]); return c != 0 ? c : a.CompareTo(b); }
                    : (a, b) => { int c = CompareWithNaNLargest(vals[a], vals[b]); return c != 0 ? c : a.CompareTo(b); };
                for (long row = start; row < end; row++)
                {
                    int o = (int)(row / g.Inner), i = (int)(row % g.Inner);
                    T* src = xs + (long)o * g.Size * g.Inner + i;
                    for (int j = 0; j < g.Size; j++) { vals[j] = src[(long)j * g.Inner]; order[j] = j; }
                    // The comparison is a total order (index breaks ties), so an unstable sort gives a unique result.
                    order.AsSpan().Sort(cmp);
                    int outBase = o * k * g.Inner + i;
                    for (int j = 0; j < k; j++) ids[outBase + j * g.Inner] = order[j];
                }
            });
        }
    }
}
