using Derain.Tensors.Serialization;
using Derain.Tensors.Tests.Norm;

namespace Derain.Tensors.Tests.Reduce;

/// <summary>Sum, Mean, Max (amax) and Var against PyTorch 1.13, float32 and float64.</summary>
public class ReduceGoldenTests
{
    public static TheoryData<string> Cases => new()
    {
        "sum_all", "sum_dim1", "sum_dims02_keep", "sum_last", "mean_all", "mean_dims13", "mean_dims23_keep",
        "max_all_ties", "max_dim3_ties", "max_dim2_ties", "max_dims03_keep",
        "var_dim1", "var_all_biased", "var_dims02_keep", "var_last_biased",
    };

    private static Tensor Apply(string name, Tensor x, Dictionary<string, NpyArray> c)
    {
        bool all = !c.ContainsKey("dims");
        int[] dims = all ? [] : c["dims"].Data.Select(d => (int)d).ToArray();
        bool keep = !all && c["keepdim"].Data[0] != 0;
        bool unbiased = c.TryGetValue("unbiased", out var u) && u.Data[0] != 0;
        return name.Split('_')[0] switch
        {
            "sum" => all ? Ops.Sum(x) : Ops.Sum(x, dims, keep),
            "mean" => all ? Ops.Mean(x) : Ops.Mean(x, dims, keep),
            "max" => all ? Ops.Max(x) : Ops.Max(x, dims, keep),
            "var" => all ? Ops.Var(x, unbiased) : Ops.Var(x, dims, unbiased, keep),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduction_matches_torch(string name)
        // var_last_biased reduces values near 100 with a spread of ~1: its float32 output carries
        // the input's rounding (ulp(100) ≈ 8e-6) relative to a variance of ~1, hence the scale.
        => NormGolden.Run(name, [("x", "dx")], (t, c) => Apply(name, t[0], c), forwardScale: name == "var_last_biased" ? 10 : 1);
}
