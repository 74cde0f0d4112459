using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.Bench;

/// <summary>
/// The rows of <c>./bench ops</c>; tools/bench/torch_ops.py defines the same rows for PyTorch. Forward rows run
/// with recording off (like torch with inputs that need no gradient); forward+backward rows seed the output
/// gradient with ones. Every call runs in a <see cref="TensorScope"/>, so buffers are recycled the way a
/// training loop recycles them.
/// </summary>
public static class OpsSuite
{
    private static double ConvFlops(int cin, int cout, int k, int outPlane) => 2.0 * cin * cout * k * outPlane;

    public static IEnumerable<BenchRow> Rows()
    {
        foreach (int size in new[] { 128, 256 })
        {
            double f = ConvFlops(64, 64, 9, size * size);
            yield return new($"conv3x3_64_{size}_fwd", () => Conv2d(size, false), f);
            yield return new($"conv3x3_64_{size}_fwdbwd", () => Conv2d(size, true), 3 * f);
        }
        double f3 = ConvFlops(64, 64, 27, 5 * 64 * 64);
        yield return new("conv3d_64_5x64_fwd", () => Conv3d(false), f3);
        yield return new("conv3d_64_5x64_fwdbwd", () => Conv3d(true), 3 * f3);
        double fT = ConvFlops(64, 64, 16, 128 * 128);
        yield return new("convT4x4s2_64_128_fwd", () => ConvT(false), fT);
        yield return new("convT4x4s2_64_128_fwdbwd", () => ConvT(true), 3 * fT);
        double fD = ConvFlops(128, 64, 9, 64 * 64);
        yield return new("deform_128_64_dg16_64_fwd", () => Deform(false), fD);
        yield return new("deform_128_64_dg16_64_fwdbwd", () => Deform(true), 3 * fD);
        yield return new("grid_sample_64x64x64_fwd", () => Grid(false));
        yield return new("grid_sample_64x64x64_fwdbwd", () => Grid(true));
        double fA = 2.0 * 2 * 4 * 2420.0 * 2420 * 128;
        yield return new("attention_2420x512_h4_fwd", () => Attention(false), fA);
        yield return new("attention_2420x512_h4_fwdbwd", () => Attention(true), 3 * fA);
        yield return new("layernorm_2420x512_fwd", () => LayerNorm(false));
        yield return new("layernorm_2420x512_fwdbwd", () => LayerNorm(true));
    }

    private static readonly Generator Rng = new(0);

    private static Tensor Input(bool grad, double scale, params int[] shape)
    {
        var t = Tensor.Randn(new Shape(shape), Rng, std: scale);
        TensorScope.Detach(t);
        return t.RequireGrad(grad);
    }

    /// <summary>Runs <paramref name="forward"/> in a scope, with recording only when a backward pass follows.</summary>
    private static Action Step(bool backward, Tensor[] leaves, Func<Tensor> forward) => () =>
    {
        using var scope = TensorScope.Begin();
        if (!backward)
        {
            using var _ = GradMode.NoGrad();
            forward();
            return;
        }
        var y = forward();
        y.Backward(Tensor.Ones(y.Shape));
        foreach (var l in leaves) l.ZeroGrad();
    };

    private static Action Conv2d(int size, bool backward)
    {
        var x = Input(backward, 1, 1, 64, size, size);
        var w = Input(backward, 0.05, 64, 64, 3, 3);
        var b = Input(backward, 0, 64);
        return Step(backward, [x, w, b], () => Ops.Conv2d(x, w, b, padding: 1));
    }

    private static Action Conv3d(bool backward)
    {
        var x = Input(backward, 1, 1, 64, 5, 64, 64);
        var w = Input(backward, 0.05, 64, 64, 3, 3, 3);
        return Step(backward, [x, w], () => Ops.Conv3d(x, w, null, padding: 1));
    }

    private static Action ConvT(bool backward)
    {
        var x = Input(backward, 1, 1, 64, 128, 128);
        var w = Input(backward, 0.05, 64, 64, 4, 4);
        return Step(backward, [x, w], () => Ops.ConvTranspose2d(x, w, null, stride: 2, padding: 1));
    }

    private static Action Deform(bool backward)
    {
        var x = Input(backward, 1, 1, 128, 64, 64);
        var off = Input(backward, 2, 1, 2 * 16 * 9, 64, 64);
        var mask = Tensor.Rand(new Shape(1, 16 * 9, 64, 64), Rng).RequireGrad(backward);
        TensorScope.Detach(mask);
        var w = Input(backward, 0.05, 64, 128, 3, 3);
        var b = Input(backward, 0, 64);
        return Step(backward, [x, off, mask, w, b], () => Ops.DeformConv2d(x, off, w, b, mask, padding: 1));
    }

    private static Action Grid(bool backward)
    {
        var x = Input(backward, 1, 1, 64, 64, 64);
        var g = Tensor.Rand(new Shape(1, 64, 64, 2), Rng, -1.1, 1.1).RequireGrad(backward);
        TensorScope.Detach(g);
        return Step(backward, [x, g], () => Ops.GridSample(x, g, GridSampleMode.Bilinear, GridSamplePadding.Zeros, alignCorners: true));
    }

    private static Action Attention(bool backward)
    {
        var q = Input(backward, 1, 4, 2420, 128);
        var k = Input(backward, 1, 4, 2420, 128);
        var v = Input(backward, 1, 4, 2420, 128);
        double scale = 1 / Math.Sqrt(128);
        return Step(backward, [q, k, v], () =>
        {
            var s = Ops.MatMul(q, Ops.Transpose(k, 1, 2)) * scale;
            return Ops.MatMul(Ops.Softmax(s, -1), v);
        });
    }

    private static Action LayerNorm(bool backward)
    {
        var x = Input(backward, 1, 2420, 512);
        var w = Tensor.Ones(new Shape(512)).RequireGrad(backward);
        var b = Tensor.Zeros(new Shape(512)).RequireGrad(backward);
        TensorScope.Detach(w);
        TensorScope.Detach(b);
        return Step(backward, [x, w, b], () => Ops.LayerNorm(x, [512], w, b, 1e-5));
    }
}
