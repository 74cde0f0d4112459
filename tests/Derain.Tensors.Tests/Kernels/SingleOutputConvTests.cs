using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.Kernels;

/// <summary>
/// <see cref="SingleOutputConv"/>'s forward and weight-gradient passes against the float64 loops of
/// <see cref="NaiveConv"/>: EEVRSR's residual layer (6→1 5×5 'SAME' at 128², fewer samples) and odd shapes
/// (rectangular kernels, asymmetric, missing or oversized padding, output widths that are not whole register tiles,
/// kernels wider than one 8-tap tile). The AVX-512 path (when present) and the scalar path each match the reference
/// and each other bit for bit, at any thread count. Tolerances as <c>DnnlConvTests</c>.
/// </summary>
public class SingleOutputConvTests
{
    private const double ForwardTol = 1e-5;
    private const double WeightTol = 1e-4;

    private static readonly Dictionary<string, (int N, int Cin, int[] In, int[] K, int[] Pb, int[] Pe)> Cases = new()
    {
        ["6->1 5x5 128² same"] = (2, 6, [128, 128], [5, 5], [2, 2], [2, 2]),
        ["3->1 4x3 asym pad odd plane"] = (2, 3, [9, 10], [4, 3], [1, 0], [2, 1]),
        ["2->1 3x3 valid 70 columns"] = (1, 2, [7, 72], [3, 3], [0, 0], [0, 0]),
        ["1->1 9x10 two tap tiles"] = (2, 1, [12, 15], [9, 10], [4, 5], [4, 4]),
        ["5->1 2x2 padding beyond kernel"] = (1, 5, [6, 7], [2, 2], [3, 2], [2, 3]),
        ["12->1 1x1"] = (2, 12, [5, 33], [1, 1], [0, 0], [0, 0]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    private static ConvGeometry Geometry(string name)
    {
        var c = Cases[name];
        return ConvGeometry.Create("test", new Shape([c.N, c.Cin, .. c.In]), new Shape([1, c.Cin, .. c.K]), [1, 1], [1, 1], c.Pb, c.Pe, 1);
    }

    private static IEnumerable<bool> Paths() => SingleOutputConv.VectorizedAvailable ? [false, true] : [false];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_matches_float64_reference_on_every_path(string name)
    {
        var g = Geometry(name);
        Assert.True(SingleOutputConv.Applies(g));
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 21);
        var w = TestData.Uniform(g.InChannels * g.KernelPlane, 22);
        var b = TestData.Uniform(1, 23);
        float[]? first = null;
        foreach (bool vectorized in Paths())
        {
            var y = Poisoned(g.N * g.OutPlane);
            SingleOutputConv.Forward(g, x, w, b, y, vectorized);
            AssertClose(NaiveConv.Forward(g, x, w, b), y, ForwardTol, $"{name} forward (vectorized {vectorized})");
            var y0 = Poisoned(y.Length);
            SingleOutputConv.Forward(g, x, w, ReadOnlySpan<float>.Empty, y0, vectorized);
            AssertClose(NaiveConv.Forward(g, x, w, null), y0, ForwardTol, $"{name} forward without bias (vectorized {vectorized})");
            if (first is null) first = y;
            else Assert.True(first.AsSpan().SequenceEqual(y), $"{name}: the AVX-512 and scalar forward passes differ in some bit.");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_weights_and_bias_match_float64_reference_on_every_path(string name)
    {
        var g = Geometry(name);
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 24);
        var dy = TestData.Uniform(g.N * g.OutPlane, 25);
        float[]? firstW = null, firstB = null;
        foreach (bool vectorized in Paths())
        {
            var dw = Poisoned(g.InChannels * g.KernelPlane);
            var db = Poisoned(1);
            SingleOutputConv.BackwardWeights(g, x, dy, dw, db, vectorized);
            AssertClose(NaiveConv.BackwardWeights(g, x, dy), dw, WeightTol, $"{name} weight gradient (vectorized {vectorized})");
            AssertClose(NaiveConv.BiasGrad(g, dy), db, WeightTol, $"{name} bias gradient (vectorized {vectorized})");
            var dw0 = Poisoned(dw.Length);
            SingleOutputConv.BackwardWeights(g, x, dy, dw0, Span<float>.Empty, vectorized);
            Assert.True(dw.AsSpan().SequenceEqual(dw0), $"{name}: the weight gradient depends on whether the bias is asked for.");
            if (firstW is null) { firstW = dw; firstB = db; }
            else
            {
                Assert.True(firstW.AsSpan().SequenceEqual(dw), $"{name}: the AVX-512 and scalar weight gradients differ in some bit.");
                Assert.True(firstB!.AsSpan().SequenceEqual(db), $"{name}: the AVX-512 and scalar bias gradients differ in some bit.");
            }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var g = Geometry("6->1 5x5 128² same");
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 26);
        var w = TestData.Uniform(g.InChannels * g.KernelPlane, 27);
        var dy = TestData.Uniform(g.N * g.OutPlane, 28);
        bool vectorized = SingleOutputConv.VectorizedAvailable;
        int saved = KernelBackend.Threads;
        var results = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                KernelBackend.Threads = threads;
                var y = new float[g.N * g.OutPlane];
                var dw = new float[w.Length];
                var db = new float[1];
                SingleOutputConv.Forward(g, x, w, [0.5f], y, vectorized);
                SingleOutputConv.BackwardWeights(g, x, dy, dw, db, vectorized);
                results.Add([.. y, .. dw, .. db]);
            }
        }
        finally
        {
            KernelBackend.Threads = saved;
        }
        Assert.True(results[0].AsSpan().SequenceEqual(results[1]) && results[0].AsSpan().SequenceEqual(results[2]),
            "SingleOutputConv results changed with the thread count.");
    }

    /// <summary>The oneDNN backend routes plain stride-1 one-output convolutions here (with AVX-512), not blocked or strided ones.</summary>
    [Fact]
    public void Dnnl_backend_uses_it_for_plain_stride_1_single_output_layers()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = Geometry("6->1 5x5 128² same");
        Assert.Equal(SingleOutputConv.VectorizedAvailable, k.SingleOutputPays(g, default));
        Assert.False(k.SingleOutputPays(g, new DnnlKernels.ConvLayouts(ActivationLayout.Planar, ActivationLayout.Blocked)));
        var strided = ConvGeometry.Create("test", new Shape(1, 6, 16, 16), new Shape(1, 6, 3, 3), [2, 2], [1, 1], [1, 1], [1, 1], 1);
        Assert.False(k.SingleOutputPays(strided, default));
        k.OwnConvKernels = false;
        Assert.False(k.SingleOutputPays(g, default));
    }
}
