using Derain.Tensors.Autograd;

namespace Derain.Tensors.Tests.Infrastructure;

/// <summary>
/// Finite-difference gradient checks in float64 (torch.autograd.gradcheck's idea): the analytic gradient of
/// ⟨f(x), r⟩ for a random r is compared, element by element, with central differences
/// (f(x+h) − f(x−h)) / 2h. Inputs must be Float64 leaves; they are perturbed in place and restored.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks every input's gradient; throws with the first mismatch (input, index, both values).</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5, ulong seed = 7)
    {
        foreach (var x in inputs)
        {
            Assert.Equal(DType.Float64, x.DType);
            x.RequiresGrad = true;
            x.ZeroGrad();
        }
        var y = f(inputs);
        var r = Tensor.Randn(y.Shape, new Generator(seed), dtype: DType.Float64);
        y.Backward(r);
        var rv = r.ToDoubleArray();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            var analytic = x.Grad?.ToDoubleArray() ?? new double[x.NumElements];
            var xs = x.Span<double>();
            for (int i = 0; i < x.NumElements; i++)
            {
                double orig = xs[i];
                xs[i] = orig + eps;
                double plus = Dot(Eval(f, inputs), rv);
                xs = x.Span<double>();
                xs[i] = orig - eps;
                double minus = Dot(Eval(f, inputs), rv);
                xs = x.Span<double>();
                xs[i] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[i];
                if (Math.Abs(a - numeric) > atol + rtol * Math.Abs(numeric))
                    throw new Xunit.Sdk.XunitException($"Gradient mismatch for input {k} (shape {x.Shape}) at flat index {i}: analytic {a:G10}, numeric {numeric:G10}.");
            }
        }
    }

    private static double[] Eval(Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        using var _ = GradMode.NoGrad();
        return f(inputs).ToDoubleArray();
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>A Float64 tensor of the shape with values from N(0,1) (seeded).</summary>
    public static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(new Shape(shape), new Generator(seed), dtype: DType.Float64);

    /// <summary>A Float64 tensor with uniform values in [low, high) (seeded).</summary>
    public static Tensor Rand(ulong seed, double low, double high, params int[] shape) => Tensor.Rand(new Shape(shape), new Generator(seed), low, high, DType.Float64);
}
