using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>Float64 finite-difference checks of Linear, MatMul (all broadcasting and vector cases) and Bmm.</summary>
public class LinearGradTests
{
    private static Tensor R(ulong seed, params int[] shape) => GradCheck.Randn(seed, shape);

    [Fact]
    public void Linear_2d_with_bias() => GradCheck.Check(t => Ops.Linear(t[0], t[1], t[2]), [R(1, 4, 3), R(2, 5, 3), R(3, 5)]);

    [Fact]
    public void Linear_3d_without_bias() => GradCheck.Check(t => Ops.Linear(t[0], t[1]), [R(4, 2, 3, 4), R(5, 2, 4)]);

    [Fact]
    public void MatMul_2d() => GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(6, 3, 4), R(7, 4, 5)]);

    [Fact]
    public void MatMul_broadcasts_batch_dimensions_of_both_sides()
        => GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(8, 2, 1, 3, 4), R(9, 3, 4, 2)]);

    [Fact]
    public void MatMul_batch_times_shared_matrix() => GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(10, 2, 3, 2, 4), R(11, 4, 3)]);

    [Fact]
    public void MatMul_shared_matrix_times_batch() => GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(12, 3, 4), R(13, 2, 1, 4, 2)]);

    [Fact]
    public void MatMul_rank_5_with_interleaved_broadcasting()
        => GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(14, 2, 1, 3, 2, 2), R(15, 1, 2, 1, 2, 3)]);

    [Fact]
    public void MatMul_with_vectors()
    {
        GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(16, 4), R(17, 2, 4, 3)]);
        GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(18, 2, 3, 4), R(19, 4)]);
        GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [R(20, 5), R(21, 5)]);
    }

    [Fact]
    public void Bmm() => GradCheck.Check(t => Ops.Bmm(t[0], t[1]), [R(22, 3, 2, 4), R(23, 3, 4, 3)]);
}
