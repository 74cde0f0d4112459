using Derain.Models.Mgid;
using Derain.Models.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Models.Tests.Mgid;

/// <summary>
/// <see cref="BswLoss"/> against tools/golden/mgid_loss.py (Fixtures/mgid_loss): the selected mask, its counts, the
/// loss and the gradients of both queries, in float32 (the training path) and float64; and a finite-difference
/// check of the float64 gradient with the mask held fixed.
/// </summary>
public sealed class BswLossTests
{
    /// <summary>float32 covariances of 60–64 products each are within ~1e-7 relative of the float64 reference.</summary>
    private const double Float32Tolerance = 2e-5;

    private const double Float64Tolerance = 1e-10;

    [Theory]
    [InlineData("bsw_separated", DType.Float32)]
    [InlineData("bsw_separated", DType.Float64)]
    [InlineData("bsw_random", DType.Float32)]
    [InlineData("bsw_random", DType.Float64)]
    public void Mask_loss_and_gradients_match_the_reference(string name, DType dtype)
    {
        var golden = MgidLossGolden.Load(name);
        double tol = dtype == DType.Float32 ? Float32Tolerance : Float64Tolerance;
        using var q1 = Leaf(golden["q1"], dtype);
        using var q2 = Leaf(golden["q2"], dtype);
        using var scope = TensorScope.Begin();

        var result = BswLoss.Compute(q1, q2);

        Assert.Equal((int)golden["insensitive"].Data[0], result.InsensitiveCount);
        Assert.Equal((int)golden["mask_count"].Data[0], result.MaskCount);
        Assert.Equal(golden["mask"].Data, result.Mask.ToDoubleArray());
        EevrsrGolden.AssertClose(golden["loss"].Data, [result.Loss.Item()], tol, "loss");
        result.Loss.Backward();
        EevrsrGolden.AssertClose(golden["grad_q1"], q1.Grad!, tol, "grad q1");
        EevrsrGolden.AssertClose(golden["grad_q2"], q2.Grad!, tol, "grad q2");
    }

    [Fact]
    public void The_separated_case_whitens_exactly_the_unchanged_correlations()
    {
        // Sanity of the fixture's design, independent of the reference: the 160 changed elements (80 symmetric pairs)
        // are sensitive, everything else is in cluster 0, so the mask is the upper triangle less 80 elements.
        var golden = MgidLossGolden.Load("bsw_separated");
        using var q1 = golden["q1"].ToTensor();
        using var q2 = golden["q2"].ToTensor();
        var result = BswLoss.Compute(q1, q2);
        Assert.Equal(2 * 64 * 64 - 160, result.InsensitiveCount);
        Assert.Equal(2 * (64 * 65 / 2) - 80, result.MaskCount);
    }

    [Fact]
    public void Gradient_with_a_fixed_mask_matches_finite_differences()
    {
        const int b = 2, c = 5;
        var q1 = GradCheck.Randn(1, b, c, 3, 4);
        var q2 = GradCheck.Randn(2, b, c, 3, 4);
        var rng = new Random(3);
        var maskData = new double[b * c * c];
        for (int s = 0; s < b; s++)
            for (int i = 0; i < c; i++)
                for (int j = i; j < c; j++)
                    maskData[(s * c + i) * c + j] = rng.Next(3) == 0 ? 0 : 1;
        using var mask = Tensor.FromArray(maskData, b, c, c);
        GradCheck.Check(x => Ops.Reshape(BswLoss.ComputeWithMask(x[0], x[1], mask), 1), [q1, q2]);
    }

    [Fact]
    public void Covariance_divides_by_hw_minus_one_and_adds_epsilon_to_the_diagonal()
    {
        // One sample, two channels over four positions: [1, -1, 1, -1] and [1, 1, -1, -1] (orthogonal, zero mean).
        using var q = Tensor.FromArray(new double[] { 1, -1, 1, -1, 1, 1, -1, -1 }, 1, 2, 2, 2);
        var cov = BswLoss.Covariance(q).ToDoubleArray();
        Assert.Equal([4.0 / 3 + 1e-5, 0, 0, 4.0 / 3 + 1e-5], cov);
    }

    private static Tensor Leaf(Derain.Tensors.Serialization.NpyArray array, DType dtype)
    {
        var t = dtype == DType.Float32 ? array.ToTensor() : array.ToDoubleTensor();
        t.RequiresGrad = true;
        return t;
    }
}
