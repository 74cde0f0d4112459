using Derain.Tensors.Autograd;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.pixel_shuffle: [*, C·r², H, W] → [*, C, H·r, W·r], with
    /// out[c, h·r + i, w·r + j] = in[c·r² + i·r + j, h, w] (PyTorch's channel order, not tf.depth_to_space's).
    /// </summary>
    public static Tensor PixelShuffle(Tensor x, int upscaleFactor)
    {
        x.ThrowIfDisposed();
        int r = upscaleFactor;
        if (x.Rank < 3) throw ShapeError("PixelShuffle", $"input must be [*, C, H, W] with at least 3 dimensions; got {x.Shape}.");
        if (r < 1) throw ShapeError("PixelShuffle", $"upscale factor {r} must be positive (input {x.Shape}).");
        int c = x.Shape[-3], h = x.Shape[-2], w = x.Shape[-1];
        if (c % (r * r) != 0)
            throw ShapeError("PixelShuffle", $"input {x.Shape} has {c} channels, which is not divisible by upscale_factor² = {r * r}.");
        int oc = c / (r * r);
        long b = (long)x.Shape.Product(0, x.Rank - 3) * oc;
        // Input read as [B·oc, i, j, h, w]; output laid out as [B·oc, h, i, w, j].
        int[] dims = [(int)b, h, r, w, r];
        int[] strides = [r * r * h * w, w, r * h * w, 1, h * w];
        var outDims = x.Shape.ToArray();
        outDims[^3] = oc; outDims[^2] = h * r; outDims[^1] = w * r;
        var y = StridedGather(x, new Shape(outDims), 0, dims, strides);
        return GradNode.Record(y, new PixelShuffleBackward(r, unshuffle: false), x);
    }

    /// <summary>
    /// torch.nn.functional.pixel_unshuffle: [*, C, H·r, W·r] → [*, C·r², H, W], the inverse of
    /// <see cref="PixelShuffle"/>.
    /// </summary>
    public static Tensor PixelUnshuffle(Tensor x, int downscaleFactor)
    {
        x.ThrowIfDisposed();
        int r = downscaleFactor;
        if (x.Rank < 3) throw ShapeError("PixelUnshuffle", $"input must be [*, C, H, W] with at least 3 dimensions; got {x.Shape}.");
        if (r < 1) throw ShapeError("PixelUnshuffle", $"downscale factor {r} must be positive (input {x.Shape}).");
        int c = x.Shape[-3], hr = x.Shape[-2], wr = x.Shape[-1];
        if (hr % r != 0 || wr % r != 0)
            throw ShapeError("PixelUnshuffle", $"input {x.Shape} has height {hr} and width {wr}, which must both be divisible by downscale_factor {r}.");
        int h = hr / r, w = wr / r;
        long b = (long)x.Shape.Product(0, x.Rank - 3) * c;
        // Input read as [B·c, h, i, w, j]; output laid out as [B·c, i, j, h, w].
        int[] dims = [(int)b, r, r, h, w];
        int[] strides = [hr * wr, wr, 1, r * wr, r];
        var outDims = x.Shape.ToArray();
        outDims[^3] = c * r * r; outDims[^2] = h; outDims[^1] = w;
        var y = StridedGather(x, new Shape(outDims), 0, dims, strides);
        return GradNode.Record(y, new PixelShuffleBackward(r, unshuffle: true), x);
    }

    /// <summary>Each is a permutation of elements, so the backward pass is the other one.</summary>
    private sealed class PixelShuffleBackward(int factor, bool unshuffle) : GradNode
    {
        public override string Name => unshuffle ? "PixelUnshuffleBackward" : "PixelShuffleBackward";
        protected internal override Tensor?[] Backward(Tensor g) => [unshuffle ? PixelShuffle(g, factor) : PixelUnshuffle(g, factor)];
    }
}
