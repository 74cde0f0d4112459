using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class PadTests
{
    public static TheoryData<PadMode, int[], int[]> GradCases => new()
    {
        { PadMode.Constant, [2, 3, 4], [1, 2] },
        { PadMode.Constant, [2, 3, 4], [0, 3, 2, 1] },
        { PadMode.Constant, [2, 3, 4], [-1, 2, 1, -2] },
        { PadMode.Constant, [1, 2, 3, 3], [1, 0, 0, 2, 2, 1] },
        { PadMode.Reflect, [2, 5], [3, 1] },
        { PadMode.Reflect, [2, 3, 4], [3, 1, 0, 2] },
        { PadMode.Reflect, [1, 3, 3, 4], [1, 2, 2, 0, 1, 2] },
        { PadMode.Replicate, [2, 3], [4, 1] },
        { PadMode.Replicate, [2, 3, 4], [2, 3, 1, 0] },
        { PadMode.Replicate, [1, 2, 3, 4], [1, 2, 0, 3, 2, 1] },
    };

    [Theory]
    [MemberData(nameof(GradCases))]
    public void Gradients_match_finite_differences(PadMode mode, int[] shape, int[] pad)
    {
        var x = GradCheck.Randn(3, shape);
        GradCheck.Check(t => Ops.Pad(t[0], pad, mode, 0.75), [x]);
    }

    /// <summary>Element by element from the definition: out[o] = in[map(o)] or the constant.</summary>
    private static double[] Reference(Tensor x, int[] pad, PadMode mode, double value, Shape outShape)
    {
        var xv = x.ToDoubleArray();
        int r = x.Rank, k = pad.Length / 2;
        var inStrides = x.Shape.Strides();
        var result = new double[outShape.NumElements];
        var idx = new int[r];
        for (int i = 0; i < result.Length; i++)
        {
            int rem = i, off = 0;
            bool border = false;
            for (int d = r - 1; d >= 0; d--)
            {
                idx[d] = rem % outShape[d];
                rem /= outShape[d];
                int s = idx[d], n = x.Shape[d];
                int slot = r - 1 - d;
                if (slot < k)
                {
                    s -= pad[2 * slot];
                    if (s < 0 || s >= n)
                    {
                        if (mode == PadMode.Constant) border = true;
                        else if (mode == PadMode.Replicate) s = Math.Clamp(s, 0, n - 1);
                        else s = s < 0 ? -s : 2 * (n - 1) - s;
                    }
                }
                off += s * inStrides[d];
            }
            result[i] = border ? value : xv[off];
        }
        return result;
    }

    [Theory]
    [InlineData(PadMode.Constant)]
    [InlineData(PadMode.Reflect)]
    [InlineData(PadMode.Replicate)]
    public void Large_input_matches_reference_on_the_parallel_path(PadMode mode)
    {
        var x = Tensor.Randn(new Shape(3, 5, 80, 90), new Generator(5));
        int[] pad = [3, 2, 1, 4];
        var y = Ops.Pad(x, pad, mode, -2);
        Assert.Equal(new Shape(3, 5, 85, 95), y.Shape);
        Golden.AssertClose(Reference(x, pad, mode, -2, y.Shape), y.ToDoubleArray(), 0, 0, $"pad {mode}");
    }

    [Fact]
    public void Reflect_needs_padding_smaller_than_the_size()
    {
        var x = Tensor.Zeros(new Shape(1, 2, 3));
        var e = Assert.Throws<ArgumentException>(() => Ops.Pad(x, [3, 0], PadMode.Reflect));
        Assert.Contains("Pad", e.Message);
        Assert.Contains("[1, 2, 3]", e.Message);
        Assert.Contains("less than its size 3", e.Message);
    }

    [Fact]
    public void Bad_padding_lists_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.Contains("Pad: padding [1, 2, 3]", Assert.Throws<ArgumentException>(() => Ops.Pad(x, [1, 2, 3])).Message);
        Assert.Contains("input [2, 3] has 2", Assert.Throws<ArgumentException>(() => Ops.Pad(x, [1, 1, 1, 1, 1, 1])).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => Ops.Pad(x, [-1, 0], PadMode.Replicate)).Message);
        Assert.Contains("negative size", Assert.Throws<ArgumentException>(() => Ops.Pad(x, [-2, -2])).Message);
    }
}
