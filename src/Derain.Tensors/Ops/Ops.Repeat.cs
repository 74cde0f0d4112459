using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.Tensor.repeat: tiles <paramref name="x"/> <paramref name="repeats"/>[k] times along dimension k.
    /// With more repeats than dimensions, <paramref name="x"/> is first viewed with leading size-1 dimensions.
    /// The backward pass sums the gradient over the tiles.
    /// </summary>
    public static Tensor Repeat(Tensor x, params int[] repeats)
    {
        x.ThrowIfDisposed();
        int r = repeats.Length;
        if (r < x.Rank)
            throw ShapeError("Repeat", $"{r} repeats {Shape.Format(repeats)} for shape {x.Shape}; give at least one per dimension ({x.Rank}).");
        foreach (int k in repeats)
            if (k < 0) throw ShapeError("Repeat", $"repeats {Shape.Format(repeats)} must be non-negative (shape {x.Shape}).");
        var (outShape, dims, strides) = RepeatLayout(x.Shape, repeats);
        var y = StridedGather(x, outShape, 0, dims, strides);
        return GradNode.Record(y, new RepeatBackward(x.Shape, dims, strides), x);
    }

    /// <summary>
    /// The output shape of a repeat and the interleaved [repeat₀, size₀, repeat₁, size₁, …] layout the output
    /// has in memory, with the strides that read it from the input (0 along each repeat).
    /// </summary>
    private static (Shape Out, int[] Dims, int[] Strides) RepeatLayout(Shape input, int[] repeats)
    {
        int r = repeats.Length, lead = r - input.Rank;
        var inStrides = input.Strides();
        var outDims = new int[r];
        var dims = new int[2 * r];
        var strides = new int[2 * r];
        for (int k = 0; k < r; k++)
        {
            int size = k < lead ? 1 : input[k - lead];
            outDims[k] = size * repeats[k];
            dims[2 * k] = repeats[k];
            dims[2 * k + 1] = size;
            strides[2 * k + 1] = k < lead ? 0 : inStrides[k - lead];
        }
        return (new Shape(outDims), dims, strides);
    }

    /// <summary>
    /// torch.Tensor.expand, materialised: broadcasts size-1 dimensions of <paramref name="x"/> (and new leading
    /// dimensions) to <paramref name="sizes"/>; -1 keeps a dimension's size. The backward pass sums over the
    /// broadcast dimensions.
    /// </summary>
    public static Tensor Expand(Tensor x, params int[] sizes)
    {
        x.ThrowIfDisposed();
        int r = sizes.Length, lead = r - x.Rank;
        if (lead < 0)
            throw ShapeError("Expand", $"target sizes {Shape.Format(sizes)} have fewer dimensions than shape {x.Shape}.");
        var inStrides = x.Shape.Strides();
        var outDims = new int[r];
        var strides = new int[r];
        for (int k = 0; k < r; k++)
        {
            if (k < lead)
            {
                if (sizes[k] < 0) throw ShapeError("Expand", $"new leading dimension {k} needs an explicit size; got {sizes[k]} in {Shape.Format(sizes)} for shape {x.Shape}.");
                outDims[k] = sizes[k];
                continue;
            }
            int have = x.Shape[k - lead];
            if (sizes[k] < -1) throw ShapeError("Expand", $"size {sizes[k]} in {Shape.Format(sizes)} is negative (shape {x.Shape}).");
            int want = sizes[k] == -1 ? have : sizes[k];
            if (want != have && have != 1)
                throw ShapeError("Expand", $"shape {x.Shape} cannot be expanded to {Shape.Format(sizes)}: dimension {k} has size {have}, which is neither 1 nor {want}.");
            outDims[k] = want;
            strides[k] = have == 1 ? 0 : inStrides[k - lead];
        }
        var y = StridedGather(x, new Shape(outDims), 0, outDims, strides);
        return GradNode.Record(y, new ExpandBackward(x.Shape, outDims, strides), x);
    }

    /// <summary>Sums the gradient of every copy back onto the element it was read from.</summary>
    private sealed class RepeatBackward(Shape input, int[] dims, int[] strides) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [StridedAccumulate(g, input, 0, dims, strides)];
    }

    private sealed class ExpandBackward(Shape input, int[] dims, int[] strides) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [StridedAccumulate(g, input, 0, dims, strides)];
    }
}
