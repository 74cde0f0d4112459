using Derain.Tensors.Tests.Norm;

namespace Derain.Tensors.Tests.Activation;

/// <summary>Activations and unary ops against PyTorch 1.13 (tools/golden/norm.py), float32 and float64.</summary>
public class ActivationGoldenTests
{
    public static TheoryData<string> UnaryCases => new()
    {
        "relu", "leaky_relu_0.2", "leaky_relu_0.01", "sigmoid", "tanh", "abs", "sqrt", "exp", "log", "square",
        "pow_3", "pow_2.5", "pow_-1.5", "pow_0", "clamp_both", "clamp_min", "clamp_max",
    };

    private static Tensor Apply(string name, Tensor x, Dictionary<string, Serialization.NpyArray> c) => name switch
    {
        "relu" => Ops.Relu(x),
        "leaky_relu_0.2" or "leaky_relu_0.01" => Ops.LeakyRelu(x, NormGolden.Scalar(c, "slope")),
        "sigmoid" => Ops.Sigmoid(x),
        "tanh" => Ops.Tanh(x),
        "abs" => Ops.Abs(x),
        "sqrt" => Ops.Sqrt(x),
        "exp" => Ops.Exp(x),
        "log" => Ops.Log(x),
        "square" => Ops.Square(x),
        "clamp_both" => Ops.Clamp(x, NormGolden.Scalar(c, "min"), NormGolden.Scalar(c, "max")),
        "clamp_min" => Ops.Clamp(x, NormGolden.Scalar(c, "min"), null),
        "clamp_max" => Ops.Clamp(x, null, NormGolden.Scalar(c, "max")),
        _ when name.StartsWith("pow_", StringComparison.Ordinal) => Ops.Pow(x, NormGolden.Scalar(c, "exponent")),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void Unary_matches_torch(string name)
        => NormGolden.Run(name, [("x", "dx")], (t, c) => Apply(name, t[0], c));

    [Theory]
    [InlineData("prelu_channel")]
    [InlineData("prelu_single")]
    public void PRelu_matches_torch(string name)
        => NormGolden.Run(name, [("x", "dx"), ("w", "dw")], (t, _) => Ops.PRelu(t[0], t[1]));
}
