using Derain.Tensors.Serialization;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Norm;

/// <summary>
/// Runs one golden case of tools/golden/norm.py in float32 and float64: builds the named inputs as leaves,
/// applies the op, and compares the output and every named gradient with PyTorch's float64 results.
/// </summary>
public static class NormGolden
{
    public const string Group = "norm";

    /// <summary>Float32 forward tolerance (relative, absolute) against the float64 reference.</summary>
    public static readonly (double R, double A) Forward32 = (1e-5, 1e-6);

    /// <summary>Float32 gradient tolerance.</summary>
    public static readonly (double R, double A) Gradient32 = (1e-4, 1e-5);

    /// <summary>Float64 tolerance (forward and gradients).</summary>
    public static readonly (double R, double A) Float64 = (1e-9, 1e-11);

    public static Dictionary<string, NpyArray> Load(string name) => Golden.Load(Group, name);

    /// <summary>A golden array as a tensor of the given dtype.</summary>
    public static Tensor Tensor(NpyArray a, DType dtype) => dtype == DType.Float32 ? a.ToTensor() : a.ToDoubleTensor();

    /// <summary>A scalar stored in a case (exponent, slope, flags).</summary>
    public static double Scalar(Dictionary<string, NpyArray> c, string key) => c[key].Data[0];

    /// <summary>
    /// Checks the case: <paramref name="inputs"/> are (array name, gradient name or null) pairs; the op gets the
    /// input tensors in that order and the loaded case (for its parameters).
    /// </summary>
    public static void Run(string name, (string Input, string? Grad)[] inputs, Func<Tensor[], Dictionary<string, NpyArray>, Tensor> op,
        double forwardScale = 1, double gradientScale = 1)
    {
        var c = Load(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var t = inputs.Select(i => Tensor(c[i.Input], dtype).RequireGrad(i.Grad is not null)).ToArray();
            var y = op(t, c);
            var (fr, fa) = dtype == DType.Float32 ? Forward32 : Float64;
            var (gr, ga) = dtype == DType.Float32 ? Gradient32 : Float64;
            // np.ascontiguousarray (tools/golden/common.py) stores 0-d results as [1]: compare values for those.
            bool scalar = y.Rank == 0;
            if (scalar) Golden.AssertClose(c["y"].Data, y.ToDoubleArray(), fr * forwardScale, fa * forwardScale, $"{name} {dtype} output");
            else Golden.AssertClose(c["y"], y, fr * forwardScale, fa * forwardScale, $"{name} {dtype} output");
            if (!inputs.Any(i => i.Grad is not null)) continue;
            var seed = Tensor(c["g"], dtype);
            y.Backward(scalar ? seed.Reshape() : seed);
            for (int k = 0; k < inputs.Length; k++)
            {
                if (inputs[k].Grad is not { } gradName) continue;
                Assert.NotNull(t[k].Grad);
                Golden.AssertClose(c[gradName], t[k].Grad!, gr * gradientScale, ga * gradientScale, $"{name} {dtype} {gradName}");
            }
        }
    }
}
