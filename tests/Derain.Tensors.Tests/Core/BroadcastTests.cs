using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Core;

public class BroadcastTests
{
    /// <summary>A float64 reference computed index by index, independent of the kernel's folding of runs.</summary>
    private static double[] Reference(Tensor a, Tensor b, Func<double, double, double> op, Shape outShape)
    {
        var av = a.ToDoubleArray(); var bv = b.ToDoubleArray();
        var sa = Ops.BroadcastStrides(a.Shape, outShape);
        var sb = Ops.BroadcastStrides(b.Shape, outShape);
        var result = new double[outShape.NumElements];
        var idx = new int[outShape.Rank];
        for (int i = 0; i < result.Length; i++)
        {
            int rem = i, oa = 0, ob = 0;
            for (int d = outShape.Rank - 1; d >= 0; d--)
            {
                idx[d] = rem % outShape[d];
                rem /= outShape[d];
                oa += idx[d] * sa[d];
                ob += idx[d] * sb[d];
            }
            result[i] = op(av[oa], bv[ob]);
        }
        return result;
    }

    public static TheoryData<int[], int[]> Shapes => new()
    {
        { [2, 3, 4], [2, 3, 4] },
        { [2, 3, 4], [4] },
        { [2, 3, 4], [3, 1] },
        { [2, 1, 4], [1, 3, 1] },
        { [5, 1, 3, 4, 6], [2, 1, 1, 6] },
        { [1], [2, 3] },
        { [3, 1, 5], [3, 4, 1] },
        { [], [2, 2] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_index_by_index_reference(int[] sa, int[] sb)
    {
        var g = new Generator(11);
        var a = Tensor.Randn(new Shape(sa), g);
        var b = Tensor.Rand(new Shape(sb), g, 0.5, 2);
        var outShape = Ops.BroadcastShape("test", a.Shape, b.Shape);
        Golden.AssertClose(Reference(a, b, (x, y) => x + y, outShape), (a + b).ToDoubleArray(), 1e-6, 1e-6, "broadcast");
        Golden.AssertClose(Reference(a, b, (x, y) => x - y, outShape), (a - b).ToDoubleArray(), 1e-6, 1e-6, "broadcast");
        Golden.AssertClose(Reference(b, a, (x, y) => x - y, outShape), (b - a).ToDoubleArray(), 1e-6, 1e-6, "broadcast");
        Golden.AssertClose(Reference(a, b, (x, y) => x * y, outShape), (a * b).ToDoubleArray(), 1e-6, 1e-6, "broadcast");
        Golden.AssertClose(Reference(a, b, (x, y) => x / y, outShape), (a / b).ToDoubleArray(), 1e-6, 1e-6, "broadcast");
    }

    [Fact]
    public void Incompatible_shapes_name_the_op_and_shapes()
    {
        var a = Tensor.Zeros(new Shape(2, 3));
        var b = Tensor.Zeros(new Shape(4));
        var e = Assert.Throws<ArgumentException>(() => a * b);
        Assert.Contains("Mul", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }
}
