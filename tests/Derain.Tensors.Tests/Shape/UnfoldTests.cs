using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

public class UnfoldTests
{
    public static TheoryData<int[], int[], int[], int[], int[]> Configs => new()
    {
        // input, kernel, dilation, padding, stride
        { [1, 2, 5, 6], [3, 3], [1, 1], [0, 0], [1, 1] },
        { [2, 1, 6, 7], [3, 2], [1, 1], [1, 1], [2, 3] },
        { [1, 2, 7, 6], [2, 3], [2, 2], [1, 0], [1, 2] },
        { [1, 1, 8, 8], [7, 7], [1, 1], [3, 3], [3, 3] },
        { [2, 5, 4], [2, 2], [1, 1], [1, 0], [1, 1] },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Unfold_gradients(int[] shape, int[] k, int[] d, int[] p, int[] s)
    {
        var x = GradCheck.Randn(18, shape);
        GradCheck.Check(t => Ops.Unfold(t[0], k, d, p, s), [x]);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Fold_gradients(int[] shape, int[] k, int[] d, int[] p, int[] s)
    {
        var cols = Ops.Unfold(Tensor.Zeros(new Shape(shape), DType.Float64), k, d, p, s);
        var x = GradCheck.Randn(19, cols.Shape.ToArray());
        GradCheck.Check(t => Ops.Fold(t[0], [shape[^2], shape[^1]], k, d, p, s), [x]);
    }

    /// <summary>im2col from the definition, element by element.</summary>
    private static double[] UnfoldReference(Tensor x, int k, int p, int s, out int l)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
        l = oh * ow;
        var xv = x.ToDoubleArray();
        var r = new double[n * c * k * k * l];
        int o = 0;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        for (int y = 0; y < oh; y++)
                            for (int z = 0; z < ow; z++, o++)
                            {
                                int hh = y * s - p + i, ww = z * s - p + j;
                                r[o] = hh < 0 || hh >= h || ww < 0 || ww >= w ? 0 : xv[((b * c + ch) * h + hh) * w + ww];
                            }
        return r;
    }

    [Fact]
    public void Vimp_sized_unfold_and_fold_match_the_definition()
    {
        // SoftSplit/SoftComp geometry (7×7, stride 3, padding 3) on a map large enough for the threaded path.
        var x = Tensor.Randn(new Shape(1, 16, 64, 64), new Generator(6));
        var cols = Ops.Unfold(x, 7, padding: 3, stride: 3);
        var want = UnfoldReference(x, 7, 3, 3, out int l);
        Assert.Equal(new Shape(1, 16 * 49, 22 * 22), cols.Shape);
        Assert.Equal(484, l);
        Golden.AssertClose(want, cols.ToDoubleArray(), 0, 0, "unfold");

        // Fold sums overlaps: fold(unfold(x)) = x · (number of blocks covering each pixel).
        var folded = Ops.Fold(cols, [64, 64], 7, padding: 3, stride: 3);
        var count = Ops.Fold(Ops.Unfold(Tensor.OnesLike(x), 7, padding: 3, stride: 3), [64, 64], 7, padding: 3, stride: 3);
        var xv = x.ToDoubleArray();
        var cv = count.ToDoubleArray();
        Assert.Equal(9.0, cv[(9 * 64) + 9]);
        Assert.Equal(4.0, cv[(10 * 64) + 10]);
        Golden.AssertClose(xv.Select((v, i) => v * cv[i]).ToArray(), folded.ToDoubleArray(), 1e-6, 1e-6, "fold");
    }

    [Fact]
    public void Errors_name_the_op_and_shapes()
    {
        var x = Tensor.Zeros(new Shape(1, 2, 4, 4));
        var e = Assert.Throws<ArgumentException>(() => Ops.Unfold(x, 5));
        Assert.Contains("Unfold", e.Message);
        Assert.Contains("[1, 2, 4, 4]", e.Message);
        Assert.Contains("Unfold", Assert.Throws<ArgumentException>(() => Ops.Unfold(Tensor.Zeros(new Shape(4, 4)), 2)).Message);
        Assert.Contains("Unfold", Assert.Throws<ArgumentException>(() => Ops.Unfold(x, 2, stride: 0)).Message);
        var f = Assert.Throws<ArgumentException>(() => Ops.Fold(Tensor.Zeros(new Shape(1, 10, 9)), [4, 4], 2));
        Assert.Contains("Fold", f.Message);
        Assert.Contains("[1, 10, 9]", f.Message);
        var l = Assert.Throws<ArgumentException>(() => Ops.Fold(Tensor.Zeros(new Shape(1, 8, 8)), [4, 4], 2));
        Assert.Contains("gives 3×3 = 9", l.Message);
    }
}
