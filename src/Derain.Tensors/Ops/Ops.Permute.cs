using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.permute: output dimension k is input dimension <paramref name="dims"/>[k] (negative values count
    /// from the end). Always copies into a new contiguous tensor; NCHW↔NHWC and last-two-dims transposes run
    /// as a blocked 2-D transpose, permutations that keep the last dimension as contiguous row copies.
    /// </summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        x.ThrowIfDisposed();
        var perm = CheckPermutation("Permute", x.Shape, dims);
        var inStrides = x.Shape.Strides();
        var outDims = new int[perm.Length];
        var srcStrides = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++)
        {
            outDims[k] = x.Shape[perm[k]];
            srcStrides[k] = inStrides[perm[k]];
        }
        var y = StridedGather(x, new Shape(outDims), 0, outDims, srcStrides);
        var inverse = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++) inverse[perm[k]] = k;
        return GradNode.Record(y, new PermuteBackward(inverse), x);
    }

    /// <summary>torch.transpose: swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (a copy).</summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        int a = NormalizeDimFor("Transpose", x.Shape, dim0), b = NormalizeDimFor("Transpose", x.Shape, dim1);
        var perm = new int[x.Rank];
        for (int k = 0; k < perm.Length; k++) perm[k] = k;
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(x, perm);
    }

    /// <summary>Normalises each entry and checks that together they are a permutation of 0..rank-1.</summary>
    private static int[] CheckPermutation(string op, Shape shape, int[] dims)
    {
        if (dims.Length != shape.Rank)
            throw ShapeError(op, $"dims {Shape.Format(dims)} must list each of the {shape.Rank} dimensions of shape {shape} once.");
        var perm = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int k = 0; k < dims.Length; k++)
        {
            int d = NormalizeDimFor(op, shape, dims[k]);
            if (seen[d]) throw ShapeError(op, $"dims {Shape.Format(dims)} repeat dimension {d}; shape {shape} needs a permutation of 0..{shape.Rank - 1}.");
            seen[d] = true;
            perm[k] = d;
        }
        return perm;
    }

    /// <summary>Maps a possibly negative dimension to 0..rank-1 with an error that names the op.</summary>
    private static int NormalizeDimFor(string op, Shape shape, int dim)
    {
        int d = dim < 0 ? dim + shape.Rank : dim;
        if (d < 0 || d >= shape.Rank)
            throw ShapeError(op, $"dimension {dim} is out of range for shape {shape} (rank {shape.Rank}).");
        return d;
    }

    /// <summary>A new tensor of <paramref name="outShape"/> read from <paramref name="x"/> through strides (see <see cref="StridedCopy.Gather"/>).</summary>
    private static Tensor StridedGather(Tensor x, Shape outShape, int offset, int[] dims, int[] strides)
    {
        var y = Tensor.Empty(outShape, x.DType);
        if (x.DType == DType.Float32) StridedCopy.Gather(x.Span<float>(), offset, dims, strides, y.Span<float>());
        else StridedCopy.Gather(x.Span<double>(), offset, dims, strides, y.Span<double>());
        return y;
    }

    /// <summary>Zeros of <paramref name="shape"/> with <paramref name="g"/> added through strides (the adjoint of <see cref="StridedGather"/>).</summary>
    private static Tensor StridedAccumulate(Tensor g, Shape shape, int offset, int[] dims, int[] strides)
    {
        var y = Tensor.Zeros(shape, g.DType);
        if (g.DType == DType.Float32) StridedCopy.Accumulate(g.Span<float>(), dims, y.Span<float>(), offset, strides);
        else StridedCopy.Accumulate(g.Span<double>(), dims, y.Span<double>(), offset, strides);
        return y;
    }

    private sealed class PermuteBackward(int[] inverse) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [Permute(g, inverse)];
    }
}
