using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>
/// <see cref="Ops.Conv2dConcat"/> (the convolution of a channel concatenation computed as a sum of convolutions over
/// the parts, the weight split along its input channels) against the concatenated convolution it replaces,
/// conv2d(cat(parts, 1), W, b): forward values and every gradient (each part, weight, bias) in float64, where the two
/// may differ only by summation order, plus a finite-difference check and the float32 (oneDNN) path at MGID's sizes.
/// </summary>
public class ConvConcatTests
{
    private static Tensor R(ulong seed, DType dtype, params int[] shape) => Tensor.Randn(new Shape(shape), new Generator(seed), dtype: dtype);

    /// <summary>(forward, part gradients, weight gradient, bias gradient) for ⟨f, r⟩ with r fixed.</summary>
    private static (double[] Y, double[][] Dx, double[] Dw, double[]? Db) Run(bool split, Tensor[] parts, Tensor w, Tensor? b, int padding, ulong seed)
    {
        var ps = parts.Select(p => { var c = p.Detach().Clone(); c.RequiresGrad = true; return c; }).ToArray();
        var wc = w.Detach().Clone();
        wc.RequiresGrad = true;
        var bc = b?.Detach().Clone();
        if (bc is not null) bc.RequiresGrad = true;
        var y = split ? Ops.Conv2dConcat(ps, wc, bc, padding) : Ops.Conv2d(Ops.Concat(ps, 1), wc, bc, padding: padding);
        var r = Tensor.Randn(y.Shape, new Generator(seed), dtype: y.DType);
        y.Backward(r);
        return (y.ToDoubleArray(), [.. ps.Select(p => p.Grad!.ToDoubleArray())], wc.Grad!.ToDoubleArray(), bc?.Grad!.ToDoubleArray());
    }

    private static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-30, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > tol * scale)
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: concatenated {expected[i]:G17}, split {actual[i]:G17} (tolerance {tol} × {scale:G6}).");
    }

    public static TheoryData<int[], int, int, bool> Float64Cases => new()
    {
        // part channels, output channels, padding, bias — MGID's heads end in 3 (BGR) and 4 output channels are the
        // first count that fills no vector lane evenly; 64 + 64 → 64 is every decoder Basic.
        { [3, 5], 3, 1, true },
        { [3, 5], 4, 1, true },
        { [4, 4], 4, 0, false },
        { [2, 3, 1], 3, 1, true },
        { [16, 16], 16, 1, true },
    };

    [Theory]
    [MemberData(nameof(Float64Cases))]
    public void Float64_split_convolution_equals_the_concatenated_one(int[] channels, int outChannels, int padding, bool bias)
    {
        var parts = channels.Select((c, i) => R(10 + (ulong)i, DType.Float64, 2, c, 6, 5)).ToArray();
        var w = R(20, DType.Float64, outChannels, channels.Sum(), 3, 3);
        var b = bias ? R(21, DType.Float64, outChannels) : null;
        var cat = Run(false, parts, w, b, padding, 30);
        var split = Run(true, parts, w, b, padding, 30);
        AssertClose(cat.Y, split.Y, 1e-13, "y");
        for (int i = 0; i < parts.Length; i++) AssertClose(cat.Dx[i], split.Dx[i], 1e-13, $"dx{i}");
        AssertClose(cat.Dw, split.Dw, 1e-13, "dw");
        if (bias) AssertClose(cat.Db!, split.Db!, 1e-13, "db");
    }

    [Fact]
    public void Finite_differences_agree_with_every_gradient()
        => GradCheck.Check(t => Ops.Conv2dConcat([t[0], t[1]], t[2], t[3], padding: 1),
            [GradCheck.Randn(40, 1, 2, 4, 5), GradCheck.Randn(41, 1, 3, 4, 5), GradCheck.Randn(42, 4, 5, 3, 3), GradCheck.Randn(43, 4)]);

    [Fact]
    public void Only_the_parts_that_need_a_gradient_get_one()
    {
        var skip = R(50, DType.Float64, 1, 2, 4, 4);
        var up = R(51, DType.Float64, 1, 3, 4, 4);
        up.RequiresGrad = true;
        var w = R(52, DType.Float64, 3, 5, 3, 3); // a frozen layer: no weight gradient either
        var y = Ops.Conv2dConcat([skip, up], w, null, 1);
        y.Backward(Tensor.Ones(y.Shape, DType.Float64));
        Assert.Null(skip.Grad);
        Assert.Null(w.Grad);
        var upRef = up.Detach().Clone();
        upRef.RequiresGrad = true;
        var yRef = Ops.Conv2d(Ops.Concat([skip, upRef], 1), w, null, padding: 1);
        yRef.Backward(Tensor.Ones(yRef.Shape, DType.Float64));
        AssertClose(upRef.Grad!.ToDoubleArray(), up.Grad!.ToDoubleArray(), 1e-13, "dup");
    }

    /// <summary>The float32 path (oneDNN where available) at MGID's decoder shapes: 64 + 64 → 64 and Gen's 64 + 64 → 64 → … → 3.</summary>
    [Theory]
    [InlineData(64)]
    [InlineData(3)]
    public void Float32_at_mgid_sizes_matches_the_concatenated_convolution(int outChannels)
    {
        var parts = new[] { R(60, DType.Float32, 2, 64, 16, 16), R(61, DType.Float32, 2, 64, 16, 16) };
        var w = Ops.Mul(R(62, DType.Float32, outChannels, 128, 3, 3), 0.03);
        var b = R(63, DType.Float32, outChannels);
        var cat = Run(false, parts, w, b, 1, 64);
        var split = Run(true, parts, w, b, 1, 64);
        // Both are float32 sums of 1,152 products in different orders (and possibly different algorithms).
        AssertClose(cat.Y, split.Y, 2e-5, "y");
        for (int i = 0; i < parts.Length; i++) AssertClose(cat.Dx[i], split.Dx[i], 2e-5, $"dx{i}");
        AssertClose(cat.Dw, split.Dw, 2e-5, "dw");
        AssertClose(cat.Db!, split.Db!, 2e-5, "db");
    }

    [Fact]
    public void Channel_mismatch_names_the_op_and_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Ops.Conv2dConcat([Tensor.Zeros(new Shape(1, 2, 4, 4)), Tensor.Zeros(new Shape(1, 3, 4, 4))], Tensor.Zeros(new Shape(4, 6, 3, 3))));
        Assert.Contains("Conv2dConcat", e.Message);
        Assert.Contains("[4, 6, 3, 3]", e.Message);
        var sizes = Assert.Throws<ArgumentException>(() =>
            Ops.Conv2dConcat([Tensor.Zeros(new Shape(1, 2, 4, 4)), Tensor.Zeros(new Shape(1, 3, 4, 5))], Tensor.Zeros(new Shape(4, 5, 3, 3))));
        Assert.Contains("equal N, H and W", sizes.Message);
    }
}
