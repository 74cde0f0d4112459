using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Reduce;

/// <summary>Finite-difference gradient checks for the reductions over single, several and all dimensions.</summary>
public class ReduceGradTests
{
    public static TheoryData<string, int[], bool> Variants => new()
    {
        { "sum", [], false }, { "sum", [1], false }, { "sum", [0, 2], true }, { "sum", [-1], true }, { "sum", [0, 1, 2], false },
        { "mean", [], false }, { "mean", [2], false }, { "mean", [0, 2], true }, { "mean", [1, 2], false },
        { "max", [], false }, { "max", [0], false }, { "max", [1], true }, { "max", [0, 2], false },
        { "var", [], false }, { "var", [1], false }, { "var", [0, 2], true }, { "var", [-1], false },
        { "varb", [], false }, { "varb", [2], true },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Reduction_gradients_match_finite_differences(string op, int[] dims, bool keepDim)
    {
        // Distinct values (no ties), so the max is differentiable everywhere a finite difference looks.
        var x = GradCheck.Randn(21, 3, 4, 5);
        bool all = dims.Length == 0;
        Func<Tensor, Tensor> f = op switch
        {
            "sum" => t => all ? Ops.Sum(t) : Ops.Sum(t, dims, keepDim),
            "mean" => t => all ? Ops.Mean(t) : Ops.Mean(t, dims, keepDim),
            "max" => t => all ? Ops.Max(t) : Ops.Max(t, dims, keepDim),
            "var" => t => all ? Ops.Var(t) : Ops.Var(t, dims, true, keepDim),
            "varb" => t => all ? Ops.Var(t, false) : Ops.Var(t, dims, false, keepDim),
            _ => throw new ArgumentException(op),
        };
        GradCheck.Check(i => f(i[0]), [x]);
    }

    [Fact]
    public void Reductions_compose_with_the_graph()
    {
        // mean(x²) over dim 1 then sum: d/dx = 2x / 4
        var x = GradCheck.Randn(22, 2, 4, 3);
        GradCheck.Check(i => Ops.Sum(Ops.Mean(Ops.Square(i[0]), 1)), [x]);
    }
}
