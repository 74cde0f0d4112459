using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class PermuteFlipTests
{
    /// <summary>out[i] = x[Σ idx_k · stride_{perm[k]}] computed element by element.</summary>
    private static double[] PermuteReference(Tensor x, int[] perm)
    {
        var xv = x.ToDoubleArray();
        var st = x.Shape.Strides();
        var outDims = perm.Select(p => x.Shape[p]).ToArray();
        var result = new double[xv.Length];
        for (int i = 0; i < result.Length; i++)
        {
            int rem = i, off = 0;
            for (int k = perm.Length - 1; k >= 0; k--)
            {
                off += rem % outDims[k] * st[perm[k]];
                rem /= outDims[k];
            }
            result[i] = xv[off];
        }
        return result;
    }

    public static TheoryData<int[], int[]> Perms => new()
    {
        { [3, 4], [1, 0] },
        { [2, 3, 4], [2, 0, 1] },
        { [2, 3, 4], [0, 2, 1] },
        { [2, 3, 2, 3], [0, 2, 3, 1] },
        { [2, 3, 2, 3], [3, 1, 0, 2] },
        { [2, 1, 3, 2, 2], [4, 2, 0, 3, 1] },
        { [2, 2, 3, 1, 2], [0, 2, 1, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(Perms))]
    public void Permute_gradients_ranks_2_to_5(int[] shape, int[] perm)
    {
        var x = GradCheck.Randn(7, shape);
        GradCheck.Check(t => Ops.Permute(t[0], perm), [x]);
        Golden.AssertClose(PermuteReference(x, perm), Ops.Permute(x, perm).ToDoubleArray(), 0, 0, "permute");
    }

    public static TheoryData<int[], int[]> LargePerms => new()
    {
        { [2, 37, 45, 41], [0, 2, 3, 1] },   // NCHW → NHWC (tiles not a multiple of 32)
        { [2, 45, 41, 37], [0, 3, 1, 2] },   // NHWC → NCHW
        { [3, 70, 333], [0, 2, 1] },         // last-two-dims transpose
        { [4, 5, 30, 40, 3], [0, 2, 1, 3, 4] }, // contiguous runs
        { [3, 7, 5, 11, 13], [4, 1, 3, 0, 2] }, // no contiguous dimension kept: tiled with a batch
    };

    [Theory]
    [MemberData(nameof(LargePerms))]
    public void Large_permutes_match_the_reference_in_both_dtypes(int[] shape, int[] perm)
    {
        var x = Tensor.Randn(new Shape(shape), new Generator(9));
        Golden.AssertClose(PermuteReference(x, perm), Ops.Permute(x, perm).ToDoubleArray(), 0, 0, "permute float32");
        var xd = x.To(DType.Float64);
        Golden.AssertClose(PermuteReference(xd, perm), Ops.Permute(xd, perm).ToDoubleArray(), 0, 0, "permute float64");
    }

    [Fact]
    public void Transpose_swaps_two_dims_and_accepts_negative_dims()
    {
        var x = GradCheck.Randn(8, 2, 3, 4);
        var y = Ops.Transpose(x, -1, 0);
        Assert.Equal(new Shape(4, 3, 2), y.Shape);
        Golden.AssertClose(PermuteReference(x, [2, 1, 0]), y.ToDoubleArray(), 0, 0, "transpose");
        GradCheck.Check(t => t[0].Transpose(1, 2), [x]);
    }

    [Fact]
    public void Permute_rejects_non_permutations()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => Ops.Permute(x, 0, 1, 1));
        Assert.Contains("Permute", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("Permute", Assert.Throws<ArgumentException>(() => Ops.Permute(x, 0, 1)).Message);
        Assert.Contains("Transpose", Assert.Throws<ArgumentException>(() => Ops.Transpose(x, 0, 3)).Message);
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 2 })]
    [InlineData(new[] { -1, 0 })]
    [InlineData(new[] { 0, 1, 2 })]
    [InlineData(new int[0])]
    public void Flip_gradients_on_every_dim(int[] dims)
    {
        var x = GradCheck.Randn(10, 3, 2, 4);
        GradCheck.Check(t => Ops.Flip(t[0], dims), [x]);
    }

    [Fact]
    public void Flip_reverses_the_named_dims()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal([2f, 1, 0, 5, 4, 3], x.Flip(1).ToArray());
        Assert.Equal([3f, 4, 5, 0, 1, 2], x.Flip(0).ToArray());
        Assert.Equal([5f, 4, 3, 2, 1, 0], x.Flip(0, 1).ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.Flip(1, -1));
        Assert.Contains("Flip", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }
}
