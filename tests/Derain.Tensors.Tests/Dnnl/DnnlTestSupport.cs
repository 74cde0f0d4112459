using Derain.Tensors.Kernels.Dnnl;

namespace Derain.Tensors.Tests.Dnnl;

/// <summary>Access to the oneDNN backend for tests; ./test installs libdnnl2, so its absence is a failure.</summary>
internal static class DnnlTestSupport
{
    /// <summary>The shared backend instance.</summary>
    public static DnnlKernels Backend =>
        DnnlKernels.TryCreate() ?? throw new Xunit.Sdk.XunitException(
            $"oneDNN backend unavailable: {DnnlKernels.UnavailableReason}. Run tools/setup-deps.sh (./test does).");

    /// <summary>Asserts |actual − expected| ≤ rtol·(|expected| + rms(expected)) element-wise.</summary>
    public static void AssertClose(double[] expected, float[] actual, double rtol, string what)
        => Infrastructure.Golden.AssertClose(expected, [.. actual.Select(v => (double)v)], rtol, rtol * Infrastructure.TestData.Rms(expected), what);

    /// <summary>An array of NaN, so a kernel that fails to overwrite its output is caught.</summary>
    public static float[] Poisoned(int count) => Enumerable.Repeat(float.NaN, count).ToArray();
}
