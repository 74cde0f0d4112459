using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Activation;

/// <summary>Finite-difference gradient checks (float64) for every activation and unary op.</summary>
public class ActivationGradTests
{
    /// <summary>Values kept at least 0.05 away from the kinks at 0 (and from the clamp bounds), where the derivative jumps.</summary>
    private static Tensor AwayFromKinks(ulong seed, params int[] shape)
    {
        var t = GradCheck.Randn(seed, shape);
        var s = t.Span<double>();
        for (int i = 0; i < s.Length; i++) s[i] += Math.Sign(s[i]) * 0.05;
        return t;
    }

    public static TheoryData<string> Ops1 => new()
    {
        "relu", "leaky", "sigmoid", "tanh", "abs", "square", "exp", "sqrt", "log", "pow2.5", "pow3", "pow-2", "clamp", "clampMin", "clampMax",
    };

    [Theory]
    [MemberData(nameof(Ops1))]
    public void Unary_gradients_match_finite_differences(string op)
    {
        bool positive = op is "sqrt" or "log" or "pow2.5";
        var x = positive ? GradCheck.Rand(3, 0.2, 2.0, 3, 7) : AwayFromKinks(3, 3, 7);
        if (op.StartsWith("clamp", StringComparison.Ordinal))
        {
            // keep elements away from the bounds -0.4 and 0.6
            var s = x.Span<double>();
            for (int i = 0; i < s.Length; i++)
                if (Math.Abs(s[i] + 0.4) < 0.03 || Math.Abs(s[i] - 0.6) < 0.03) s[i] += 0.1;
        }
        Func<Tensor, Tensor> f = op switch
        {
            "relu" => Ops.Relu,
            "leaky" => t => Ops.LeakyRelu(t, 0.2),
            "sigmoid" => Ops.Sigmoid,
            "tanh" => Ops.Tanh,
            "abs" => Ops.Abs,
            "square" => Ops.Square,
            "exp" => Ops.Exp,
            "sqrt" => Ops.Sqrt,
            "log" => Ops.Log,
            "pow2.5" => t => Ops.Pow(t, 2.5),
            "pow3" => t => Ops.Pow(t, 3),
            "pow-2" => t => Ops.Pow(t, -2),
            "clamp" => t => Ops.Clamp(t, -0.4, 0.6),
            "clampMin" => t => Ops.Clamp(t, -0.4, null),
            "clampMax" => t => Ops.Clamp(t, null, 0.6),
            _ => throw new ArgumentException(op),
        };
        GradCheck.Check(i => f(i[0]), [x]);
    }

    [Fact]
    public void PRelu_per_channel_gradients_for_input_and_weight()
    {
        var x = AwayFromKinks(5, 2, 3, 2, 2);
        var w = GradCheck.Rand(6, 0.1, 0.6, 3);
        GradCheck.Check(i => Ops.PRelu(i[0], i[1]), [x, w]);
    }

    [Fact]
    public void PRelu_single_weight_gradients_for_input_and_weight()
    {
        var x = AwayFromKinks(7, 3, 4, 2);
        var w = GradCheck.Rand(8, 0.1, 0.6, 1);
        GradCheck.Check(i => Ops.PRelu(i[0], i[1]), [x, w]);
    }

    [Fact]
    public void PRelu_per_channel_on_a_2d_input()
    {
        var x = AwayFromKinks(9, 4, 5);
        var w = GradCheck.Rand(10, 0.1, 0.6, 5);
        GradCheck.Check(i => Ops.PRelu(i[0], i[1]), [x, w]);
    }
}
