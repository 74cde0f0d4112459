using Derain.Tensors;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Infrastructure;

/// <summary>
/// The EEVRSR golden vectors in Fixtures/eevrsr (made by tools/golden/eevrsr.py from the independent PyTorch
/// reference tools/eevrsr/eevrsr_torch.py, which is itself checked layer by layer against the official TensorFlow
/// outputs). References are float64, computed from float32-representable inputs.
/// </summary>
public static class EevrsrGolden
{
    /// <summary>The folder holding the fixtures (copied beside the test assembly).</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "eevrsr");

    /// <summary>A fixture file's path; throws naming the script that makes it when it is missing.</summary>
    public static string PathOf(string file)
    {
        var path = Path.Combine(Root, file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"EEVRSR golden fixture {file} is missing; regenerate with /usr/bin/python3 tools/golden/eevrsr.py.", path);
        return path;
    }

    /// <summary>Every array of one .npz fixture by name.</summary>
    public static Dictionary<string, NpyArray> Load(string name) => Npy.ReadNpz(PathOf(name + ".npz"));

    /// <summary>
    /// Asserts |actual − expected| ≤ rtol·scale element-wise, with scale = max(max |expected|, floor): a tolerance
    /// relative to the tensor's magnitude, so that elements near zero in a tensor of large values (sums that cancel)
    /// are held to the precision the whole tensor was computed with. Reports the worst element.
    /// </summary>
    public static void AssertClose(double[] expected, double[] actual, double rtol, string what, double floor = 0)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        double scale = Math.Max(expected.Max(Math.Abs), floor);
        double tol = rtol * scale;
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(actual[i])) err = double.PositiveInfinity;
            if (err > worstErr) { worstErr = err; worst = i; }
        }
        if (worstErr > tol)
            throw new Xunit.Sdk.XunitException(
                $"{what}: element {worst} is {actual[worst]:G9}, expected {expected[worst]:G9}; |error| {worstErr:G3} > {rtol:G2}·{scale:G3}.");
    }

    /// <summary>Compares a tensor with a golden array, shape included.</summary>
    public static void AssertClose(NpyArray expected, Tensor actual, double rtol, string what, double floor = 0)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.ToArray()), $"{what}: shape {actual.Shape}, expected [{string.Join(", ", expected.Shape)}].");
        AssertClose(expected.Data, actual.ToDoubleArray(), rtol, what, floor);
    }
}
