using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.flip: reverses the order of elements along each of <paramref name="dims"/> (a copy).</summary>
    public static Tensor Flip(Tensor x, params int[] dims)
    {
        x.ThrowIfDisposed();
        var flipped = new bool[x.Rank];
        foreach (int dim in dims)
        {
            int d = NormalizeDimFor("Flip", x.Shape, dim);
            if (flipped[d]) throw ShapeError("Flip", $"dims {Shape.Format(dims)} name dimension {d} twice (shape {x.Shape}).");
            flipped[d] = true;
        }
        // Read flipped dimensions backwards: start at their last element and step with a negated stride.
        var strides = x.Shape.Strides();
        int offset = 0;
        for (int d = 0; d < x.Rank; d++)
        {
            if (!flipped[d] || x.Shape[d] == 0) continue;
            offset += (x.Shape[d] - 1) * strides[d];
            strides[d] = -strides[d];
        }
        var y = StridedGather(x, x.Shape, offset, x.Shape.ToArray(), strides);
        return GradNode.Record(y, new FlipBackward((int[])dims.Clone()), x);
    }

    private sealed class FlipBackward(int[] dims) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [Flip(g, dims)];
    }
}
