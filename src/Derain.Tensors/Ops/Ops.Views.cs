using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.reshape: the same storage in a new shape (all tensors are contiguous, so this never copies).
    /// One dimension may be -1 and is inferred.
    /// </summary>
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        a.ThrowIfDisposed();
        var dims = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw ShapeError("Reshape", $"only one dimension can be -1; got {Shape.Format(shape)}.");
                infer = i;
            }
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || a.NumElements % known != 0)
                throw ShapeError("Reshape", $"cannot infer -1 in {Shape.Format(shape)} for {a.NumElements} elements (shape {a.Shape}).");
            dims[infer] = a.NumElements / known;
        }
        var s = new Shape(dims);
        if (s.NumElements != a.NumElements)
            throw ShapeError("Reshape", $"shape {a.Shape} ({a.NumElements} elements) cannot be viewed as {s} ({s.NumElements} elements).");
        a.Storage.AddRef();
        var y = new Tensor(a.Storage, a.Offset, s);
        return GradNode.Record(y, new ReshapeBackward(a.Shape), a);
    }

    /// <summary>torch.flatten(start_dim, end_dim).</summary>
    public static Tensor Flatten(Tensor a, int startDim = 0, int endDim = -1)
    {
        if (a.Rank == 0) return Reshape(a, 1);
        int s = a.Shape.NormalizeDim(startDim), e = a.Shape.NormalizeDim(endDim);
        if (e < s) throw ShapeError("Flatten", $"end dimension {endDim} comes before start dimension {startDim} for shape {a.Shape}.");
        var dims = new List<int>();
        for (int i = 0; i < s; i++) dims.Add(a.Shape[i]);
        dims.Add(a.Shape.Product(s, e + 1));
        for (int i = e + 1; i < a.Rank; i++) dims.Add(a.Shape[i]);
        return Reshape(a, [.. dims]);
    }

    /// <summary>torch.unsqueeze: inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public static Tensor Unsqueeze(Tensor a, int dim)
    {
        int d = dim < 0 ? dim + a.Rank + 1 : dim;
        if (d < 0 || d > a.Rank) throw ShapeError("Unsqueeze", $"dimension {dim} is out of range for shape {a.Shape}.");
        var dims = a.Shape.ToArray().ToList();
        dims.Insert(d, 1);
        return Reshape(a, [.. dims]);
    }

    /// <summary>torch.squeeze(dim): removes dimension <paramref name="dim"/> if its size is 1.</summary>
    public static Tensor Squeeze(Tensor a, int dim)
    {
        int d = a.Shape.NormalizeDim(dim);
        if (a.Shape[d] != 1) return Reshape(a, a.Shape.ToArray());
        var dims = a.Shape.ToArray().ToList();
        dims.RemoveAt(d);
        return Reshape(a, [.. dims]);
    }

    /// <summary>
    /// torch.narrow: elements [start, start+length) along <paramref name="dim"/>. A view when every
    /// dimension before <paramref name="dim"/> has size 1 (the slice is then one contiguous run), a copy otherwise.
    /// </summary>
    public static Tensor Narrow(Tensor a, int dim, int start, int length)
    {
        a.ThrowIfDisposed();
        int d = a.Shape.NormalizeDim(dim);
        int size = a.Shape[d];
        if (start < 0 || length < 0 || start + length > size)
            throw ShapeError("Narrow", $"range [{start}, {start + length}) is outside dimension {dim} of size {size} (shape {a.Shape}).");
        var outShape = a.Shape.With(d, length);
        int inner = a.Shape.Product(d + 1, a.Rank);
        int outer = a.Shape.Product(0, d);
        Tensor y;
        if (outer == 1)
        {
            a.Storage.AddRef();
            y = new Tensor(a.Storage, a.Offset + start * inner, outShape);
        }
        else
        {
            y = Tensor.Empty(outShape, a.DType);
            if (a.DType == DType.Float32) NarrowCopy(a.Span<float>(), y.Span<float>(), outer, size, start, length, inner);
            else NarrowCopy(a.Span<double>(), y.Span<double>(), outer, size, start, length, inner);
        }
        return GradNode.Record(y, new NarrowBackward(a.Shape, d, start), a);
    }

    private static void NarrowCopy<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int size, int start, int length, int inner)
        where T : unmanaged
        => CopyRuns(src, dst, outer, length * inner, size * inner, start * inner, length * inner, 0);

    private static void NarrowScatter<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int size, int start, int length, int inner)
        where T : unmanaged
        => CopyRuns(src, dst, outer, length * inner, length * inner, 0, size * inner, start * inner);

    /// <summary>
    /// Copies <paramref name="outer"/> runs of <paramref name="run"/> elements, run o from
    /// src[o·srcStride + srcStart] to dst[o·dstStride + dstStart]; the runs are spread over the kernel threads
    /// (concatenation and its adjoint move whole activations, e.g. 8 × 12 × 128² floats per dense layer).
    /// </summary>
    private static unsafe void CopyRuns<T>(ReadOnlySpan<T> src, Span<T> dst, int outer, int run, int srcStride, int srcStart, int dstStride, int dstStart)
        where T : unmanaged
    {
        if (outer == 0 || run == 0) return;
        // Split each run into pieces too (at least 4096 elements each), so a few long runs (outer = batch)
        // still fill the threads; RangeParallel runs small jobs inline.
        int pieces = Math.Max(1, Math.Min(KernelBackend.Threads * 4 / outer, run / 4096));
        fixed (T* ps = src, pd = dst)
        {
            var s = new Ptr<T>(ps, src.Length);
            var d = new Ptr<T>(pd, dst.Length);
            RangeParallel.For(outer * pieces, run / pieces, (a, b) =>
            {
                for (int item = a; item < b; item++)
                {
                    int o = item / pieces, p = item % pieces;
                    int lo = (int)((long)run * p / pieces), hi = (int)((long)run * (p + 1) / pieces);
                    s.Slice(o * srcStride + srcStart + lo, hi - lo).CopyTo(d.Slice(o * dstStride + dstStart + lo, hi - lo));
                }
            });
        }
    }

    private sealed class ReshapeBackward(Shape inputShape) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [Reshape(g, inputShape.ToArray())];
    }

    private sealed class NarrowBackward(Shape inputShape, int dim, int start) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var full = Tensor.Zeros(inputShape, g.DType);
            int outer = inputShape.Product(0, dim), inner = inputShape.Product(dim + 1, inputShape.Rank);
            int size = inputShape[dim], length = g.Shape[dim];
            if (g.DType == DType.Float32) NarrowScatter(g.Span<float>(), full.Span<float>(), outer, size, start, length, inner);
            else NarrowScatter(g.Span<double>(), full.Span<double>(), outer, size, start, length, inner);
            return [full];
        }
    }
}

public sealed partial class Tensor
{
    /// <summary>torch.Tensor.reshape / view.</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    /// <summary>torch.Tensor.narrow.</summary>
    public Tensor Narrow(int dim, int start, int length) => Ops.Narrow(this, dim, start, length);
}
