using Derain.Tensors.Serialization;

namespace Derain.Tensors.Tests.Infrastructure;

/// <summary>
/// Golden vectors made by PyTorch (tools/golden/*.py, run with Debian's /usr/bin/python3) and stored as
/// .npz files under Fixtures/golden/&lt;group&gt;/&lt;case&gt;.npz. References are computed by PyTorch in float64
/// from float32-representable inputs, so both our float32 and float64 paths compare against them.
/// </summary>
public static class Golden
{
    /// <summary>The directory holding the golden fixtures (copied beside the test assembly).</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden");

    /// <summary>Loads one case's arrays by name.</summary>
    public static Dictionary<string, NpyArray> Load(string group, string name)
    {
        var path = Path.Combine(Root, group, name + ".npz");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Golden fixture {group}/{name}.npz is missing; regenerate with /usr/bin/python3 tools/golden/{group}.py.", path);
        return Npy.ReadNpz(path);
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise, reporting the worst element.
    /// </summary>
    public static void AssertClose(double[] expected, double[] actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            double excess = err - (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i])) { excess = double.PositiveInfinity; }
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0)
            throw new Xunit.Sdk.XunitException($"{what}: element {worst} is {actual[worst]:G9}, expected {expected[worst]:G9} (rtol {rtol}, atol {atol}).");
    }

    /// <summary>Compares a tensor with a golden array (shape and values).</summary>
    public static void AssertClose(NpyArray expected, Tensor actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.ToArray()), $"{what}: shape {actual.Shape}, expected [{string.Join(", ", expected.Shape)}].");
        AssertClose(expected.Data, actual.ToDoubleArray(), rtol, atol, what);
    }
}
