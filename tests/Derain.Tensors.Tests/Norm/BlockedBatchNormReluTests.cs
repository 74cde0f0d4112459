using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Norm;

/// <summary>
/// <see cref="BlockedBatchNormRelu"/> (batch norm + ReLU with a channel-blocked output, <see cref="Ops.BatchNormReluToChannelBlocks"/>):
/// its forward and backward passes against float64 loops, on the AVX-512 path (when the CPU has it) and the scalar
/// path, which must also agree bit for bit; the op against <c>ToChannelBlocks(BatchNormRelu(…))</c> bit for bit (values,
/// running statistics, gradients); and independence from the thread count. Shapes: EEVRSR's dense-layer BN (48
/// channels, three full blocks) over planes longer than one summation block with a tail that is no multiple of 16,
/// and a partial last block (20 channels).
/// </summary>
public class BlockedBatchNormReluTests
{
    private const double DataTol = 1e-5;
    private const double SumTol = 1e-4;

    private static IEnumerable<bool> Paths() => BlockedBatchNormRelu.Vectorized ? [false, true] : [false];

    /// <summary>Planar [n, c, plane] as blocked [n, ⌈c/16⌉, plane, 16], padding lanes NaN (reading them would show).</summary>
    private static float[] Blocked(float[] planar, int n, int channels, int plane)
    {
        int blocks = (channels + 15) / 16;
        var b = Enumerable.Repeat(float.NaN, n * blocks * plane * 16).ToArray();
        for (int s = 0; s < n; s++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                    b[((s * blocks + c / 16) * plane + p) * 16 + c % 16] = planar[(s * channels + c) * plane + p];
        return b;
    }

    [Theory]
    [InlineData(2, 48, 2250, true)]
    [InlineData(2, 48, 2250, false)]
    [InlineData(3, 20, 77, true)]
    [InlineData(1, 5, 40, false)]
    public void Matches_float64_reference_on_every_path(int n, int channels, int plane, bool batchStatistics)
    {
        var x = TestData.Uniform(n * channels * plane, 21);
        var dy = TestData.Uniform(n * channels * plane, 22);
        var w = TestData.Uniform(channels, 23).Select(v => v + 1.2f).ToArray();
        var b = TestData.Uniform(channels, 24).Select(v => v * 0.5f).ToArray();
        // Batch statistics of x (float64, rounded), or arbitrary fixed ones.
        var mean = new float[channels];
        var invStd = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = 0, ss = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) s += x[(i * channels + c) * plane + p];
            double m = s / (n * plane);
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * channels + c) * plane + p] - m; ss += d * d; }
            mean[c] = batchStatistics ? (float)m : 0.1f * c - 0.2f;
            invStd[c] = batchStatistics ? (float)(1 / Math.Sqrt(ss / (n * plane) + 1e-3)) : 1.5f + 0.05f * c;
        }
        var (yRef, dxRef, dwRef, dbRef) = Reference(n, channels, plane, x, dy, mean, invStd, w, b, batchStatistics);
        var dyBlocked = Blocked(dy, n, channels, plane);
        float[]? first = null;
        foreach (bool vectorized in Paths())
        {
            int blocks = (channels + 15) / 16;
            var y = new float[n * blocks * plane * 16];
            Array.Fill(y, float.NaN);
            BlockedBatchNormRelu.Forward(n, channels, plane, x, mean, invStd, w, b, y, vectorized);
            var dx = new float[x.Length];
            var dw = new float[channels];
            var db = new float[channels];
            BlockedBatchNormRelu.Backward(n, channels, plane, x, dyBlocked, mean, invStd, w, b, batchStatistics, dx, dw, db, vectorized);
            var yBlockedRef = Blocked(yRef.Select(v => (float)v).ToArray(), n, channels, plane);
            for (int i = 0; i < y.Length; i++)
            {
                // Padding lanes must be written as zeros.
                double want = float.IsNaN(yBlockedRef[i]) ? 0 : yBlockedRef[i];
                Assert.True(Math.Abs(y[i] - want) <= DataTol * 4, $"y[{i}] = {y[i]}, reference {want} (vectorized: {vectorized})");
            }
            AssertClose(dxRef, dx, DataTol, "dx", vectorized);
            AssertClose(dwRef, dw, SumTol, "dweight", vectorized);
            AssertClose(dbRef, db, SumTol, "dbias", vectorized);
            float[] all = [.. y, .. dx, .. dw, .. db];
            if (first is null) first = all;
            else Assert.True(first.AsSpan().SequenceEqual(all), "The AVX-512 and scalar paths differ in some bit.");
        }
    }

    private static void AssertClose(double[] expected, float[] actual, double tol, string what, bool vectorized)
    {
        double scale = Math.Max(1e-30, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol * scale,
                $"{what}[{i}] = {actual[i]}, reference {expected[i]} (scale {scale}, vectorized: {vectorized})");
    }

    /// <summary>
    /// relu(batch norm) and its gradients in float64. The ReLU mask is taken from the float32 normalised value (the
    /// kernel's own arithmetic): an element within rounding of zero could otherwise flip between the two.
    /// </summary>
    private static (double[] Y, double[] Dx, double[] Dw, double[] Db) Reference(int n, int channels, int plane, float[] x, float[] dy,
        float[] mean, float[] invStd, float[] w, float[] b, bool batchStatistics)
    {
        var y = new double[x.Length];
        var dx = new double[x.Length];
        var dw = new double[channels];
        var db = new double[channels];
        long count = (long)n * plane;
        for (int c = 0; c < channels; c++)
        {
            double m = mean[c], r = invStd[c];
            var g = new double[n * plane];
            var xh = new double[n * plane];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int idx = (i * channels + c) * plane + p;
                    float yf = (x[idx] - mean[c]) * (invStd[c] * w[c]) + b[c];
                    double xhat = (x[idx] - m) * r;
                    y[idx] = Math.Max(xhat * w[c] + b[c], 0);
                    double gv = yf > 0 ? dy[idx] : 0;
                    g[i * plane + p] = gv;
                    xh[i * plane + p] = xhat;
                    sumG += gv;
                    sumGx += gv * xhat;
                }
            db[c] = sumG;
            dw[c] = sumGx;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int idx = (i * channels + c) * plane + p;
                    double gv = g[i * plane + p];
                    dx[idx] = batchStatistics ? w[c] * r * (gv - sumG / count - xh[i * plane + p] * sumGx / count) : w[c] * r * gv;
                }
        }
        return (y, dx, dw, db);
    }

    [Theory]
    [InlineData(true, 48)]
    [InlineData(false, 48)]
    [InlineData(true, 20)]
    public void Op_equals_ToChannelBlocks_of_BatchNormRelu_bit_for_bit(bool training, int channels)
    {
        var separate = Run(training, channels, fused: false);
        var fused = Run(training, channels, fused: true);
        string[] names = ["output", "running mean", "running var", "dx", "dweight", "dbias"];
        for (int i = 0; i < names.Length; i++)
            Assert.True(separate[i].SequenceEqual(fused[i]), $"{names[i]} differs (training: {training}, {channels} channels)");
        Assert.Contains(0.0, separate[0]);
        Assert.Contains(separate[0], v => v > 0);
    }

    private static double[][] Run(bool training, int channels, bool fused)
    {
        var g = new Generator(72);
        var shape = new Shape(2, channels, 45, 50); // 2250 pixels: more than one summation block, a tail past the last 16
        var x = Tensor.Randn(shape, g).RequireGrad();
        var w = (Tensor.Rand(new Shape(channels), g) + 0.5).RequireGrad();
        var b = (Tensor.Randn(new Shape(channels), g) * 0.3).RequireGrad();
        var rm = Tensor.Randn(new Shape(channels), g) * 0.1;
        var rv = Tensor.Rand(new Shape(channels), g) + 0.5;
        var y = fused
            ? Ops.BatchNormReluToChannelBlocks(x, rm, rv, w, b, training, momentum: 0.3, eps: 1e-3)
            : Ops.ToChannelBlocks(Ops.BatchNormRelu(x, rm, rv, w, b, training, momentum: 0.3, eps: 1e-3));
        // A blocked gradient with its padding lanes zero (as the blocked convolution's data gradient has them).
        var dy = Ops.ToChannelBlocks(Tensor.Randn(shape, g));
        y.Backward(dy);
        return [y.ToDoubleArray(), rm.ToDoubleArray(), rv.ToDoubleArray(), x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray()];
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        const int n = 3, channels = 48, plane = 4100;
        var x = TestData.Uniform(n * channels * plane, 31);
        var dy = Blocked(TestData.Uniform(n * channels * plane, 32), n, channels, plane);
        var w = TestData.Uniform(channels, 33);
        var b = TestData.Uniform(channels, 34);
        var mean = TestData.Uniform(channels, 35).Select(v => v * 0.1f).ToArray();
        var invStd = TestData.Uniform(channels, 36).Select(v => 1.5f + v).ToArray();
        int saved = KernelBackend.Threads;
        var results = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                KernelBackend.Threads = threads;
                var y = new float[n * 3 * plane * 16];
                var dx = new float[x.Length];
                var dw = new float[channels];
                var db = new float[channels];
                BlockedBatchNormRelu.Forward(n, channels, plane, x, mean, invStd, w, b, y, BlockedBatchNormRelu.Vectorized);
                BlockedBatchNormRelu.Backward(n, channels, plane, x, dy, mean, invStd, w, b, true, dx, dw, db, BlockedBatchNormRelu.Vectorized);
                results.Add([.. y, .. dx, .. dw, .. db]);
            }
        }
        finally
        {
            KernelBackend.Threads = saved;
        }
        Assert.True(results[0].AsSpan().SequenceEqual(results[1]) && results[0].AsSpan().SequenceEqual(results[2]),
            "BlockedBatchNormRelu results changed with the thread count.");
    }
}
