using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.Kernels;

/// <summary>
/// <see cref="FewChannelConv"/>'s backward passes against the float64 loops of <see cref="NaiveConv"/>, on EEVRSR's
/// first-layer shapes (channels, kernel, stride, 'SAME' padding and plane as in training; fewer samples) and on odd
/// ones (rectangular kernels and strides, asymmetric or oversized padding, uncovered tails, kernels wider than one
/// 8-tap register tile, one and two output blocks), with dy both NCHW and 16-channel blocked (padding lanes NaN, so
/// reading them would show). The AVX-512 path (when the CPU has it) and the scalar path each match the reference,
/// and each other bit for bit. Tolerances as <c>DnnlConvTests</c>: 1e-5 of the output scale for data, 1e-4 for
/// the weight and bias sums over every sample and position.
/// </summary>
public class FewChannelConvTests
{
    private const double DataTol = 1e-5;
    private const double WeightTol = 1e-4;

    /// <summary>N, Cin, Cout, input, kernel, stride, padding begin, padding end.</summary>
    private static readonly Dictionary<string, (int N, int Cin, int Cout, int[] In, int[] K, int[] S, int[] Pb, int[] Pe)> Cases = new()
    {
        // EEVRSR: flow stages x4/x2 first layer, stage 'large' first layer, de-raining net conv1 (TF 'SAME').
        ["5->24 5x5 s2 128²"] = (2, 5, 24, [128, 128], [5, 5], [2, 2], [1, 1], [2, 2]),
        ["2->24 7x7 s2 128²"] = (2, 2, 24, [128, 128], [7, 7], [2, 2], [2, 2], [3, 3]),
        ["5->24 7x7 s1 128²"] = (1, 5, 24, [128, 128], [7, 7], [1, 1], [3, 3], [3, 3]),
        ["3->17 3x5 s2,3 asym pad odd plane"] = (2, 3, 17, [13, 17], [3, 5], [2, 3], [0, 2], [1, 1]),
        ["8->32 4x4 s2"] = (1, 8, 32, [10, 11], [4, 4], [2, 2], [1, 1], [2, 1]),
        ["1->20 9x10 s1 (two tap tiles)"] = (1, 1, 20, [12, 15], [9, 10], [1, 1], [4, 5], [4, 4]),
        ["6->24 3x3 s3 uncovered tail"] = (2, 6, 24, [11, 10], [3, 3], [3, 3], [0, 0], [0, 0]),
        ["4->18 2x2 padding beyond kernel"] = (1, 4, 18, [6, 7], [2, 2], [1, 1], [3, 2], [2, 3]),
        ["7->31 3x3 s1 plane of 1 column"] = (3, 7, 31, [9, 1], [3, 3], [1, 1], [1, 1], [1, 1]),
    };

    public static TheoryData<string, bool> CaseNames()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    private static ConvGeometry Geometry(string name)
    {
        var c = Cases[name];
        return ConvGeometry.Create("test", new Shape([c.N, c.Cin, .. c.In]), new Shape([c.Cout, c.Cin, .. c.K]), c.S, [1, 1], c.Pb, c.Pe, 1);
    }

    /// <summary>NCHW [N, C, plane] as [N, ⌈C/16⌉, plane, 16], padding lanes NaN.</summary>
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

    private static IEnumerable<bool> Paths() => FewChannelConv.VectorizedAvailable ? [false, true] : [false];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_data_matches_float64_reference_on_every_path(string name, bool dyBlocked)
    {
        var g = Geometry(name);
        Assert.True(FewChannelConv.Applies(g));
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 11);
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 12);
        var expected = NaiveConv.BackwardData(g, dy, w);
        var dyIn = dyBlocked ? Blocked(dy, g.N, g.OutChannels, g.OutPlane) : dy;
        float[]? first = null;
        foreach (bool vectorized in Paths())
        {
            var dx = Poisoned(g.N * g.InChannels * g.InPlane);
            FewChannelConv.BackwardData(g, dyBlocked, dyIn, w, dx, vectorized);
            AssertClose(expected, dx, DataTol, $"{name} backward data (vectorized {vectorized}, dy blocked {dyBlocked})");
            if (first is null) first = dx;
            else Assert.True(first.AsSpan().SequenceEqual(dx), $"{name}: the AVX-512 and scalar backward data differ in some bit.");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_weights_and_bias_match_float64_reference_on_every_path(string name, bool dyBlocked)
    {
        var g = Geometry(name);
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 13);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 14);
        var expectedW = NaiveConv.BackwardWeights(g, x, dy);
        var expectedB = NaiveConv.BiasGrad(g, dy);
        var dyIn = dyBlocked ? Blocked(dy, g.N, g.OutChannels, g.OutPlane) : dy;
        float[]? firstW = null, firstB = null;
        foreach (bool vectorized in Paths())
        {
            var dw = Poisoned(g.OutChannels * g.InChannels * g.KernelPlane);
            var db = Poisoned(g.OutChannels);
            FewChannelConv.BackwardWeights(g, dyBlocked, x, dyIn, dw, db, vectorized);
            AssertClose(expectedW, dw, WeightTol, $"{name} weight gradient (vectorized {vectorized}, dy blocked {dyBlocked})");
            AssertClose(expectedB, db, WeightTol, $"{name} bias gradient (vectorized {vectorized}, dy blocked {dyBlocked})");
            var dw0 = Poisoned(dw.Length);
            FewChannelConv.BackwardWeights(g, dyBlocked, x, dyIn, dw0, Span<float>.Empty, vectorized);
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
        var g = Geometry("5->24 5x5 s2 128²");
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 15);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 16);
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 17);
        bool vectorized = FewChannelConv.VectorizedAvailable;
        int saved = KernelBackend.Threads;
        var results = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                KernelBackend.Threads = threads;
                var dw = new float[g.OutChannels * g.InChannels * g.KernelPlane];
                var db = new float[g.OutChannels];
                var dx = new float[g.N * g.InChannels * g.InPlane];
                FewChannelConv.BackwardWeights(g, false, x, dy, dw, db, vectorized);
                FewChannelConv.BackwardData(g, false, dy, w, dx, vectorized);
                results.Add([.. dw, .. db, .. dx]);
            }
        }
        finally
        {
            KernelBackend.Threads = saved;
        }
        Assert.True(results[0].AsSpan().SequenceEqual(results[1]) && results[0].AsSpan().SequenceEqual(results[2]),
            "FewChannelConv results changed with the thread count.");
    }

    /// <summary>The oneDNN backend routes exactly these shapes here (with AVX-512), in both layouts of dy, and agrees with its own kernels.</summary>
    [Fact]
    public void Dnnl_backend_uses_it_for_the_first_layers_and_agrees_with_onednn()
    {
        var g = Geometry("5->24 5x5 s2 128²");
        var layouts = new DnnlKernels.ConvLayouts(ActivationLayout.Planar, ActivationLayout.Blocked);
        using var k = DnnlKernels.CreateIsolated();
        Assert.Equal(FewChannelConv.VectorizedAvailable, k.FewChannelPays(g, layouts));
        Assert.Equal(FewChannelConv.VectorizedAvailable, k.FewChannelPays(g, default));
        Assert.False(k.FewChannelPays(g, new DnnlKernels.ConvLayouts(ActivationLayout.Blocked, ActivationLayout.Blocked)));
        var wide = ConvGeometry.Create("test", new Shape(2, 24, 16, 16), new Shape(24, 24, 3, 3), [1, 1], [1, 1], [1, 1], [1, 1], 1);
        Assert.False(k.FewChannelPays(wide, default));

        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 18);
        var dyPlanar = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 19);
        var dy = Blocked(dyPlanar, g.N, g.OutChannels, g.OutPlane);
        for (int i = 0; i < dy.Length; i++) if (float.IsNaN(dy[i])) dy[i] = 0;  // oneDNN's blocked tensors pad with zeros
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 20);
        var results = new List<float[]>();
        foreach (bool own in new[] { true, false })
        {
            k.OwnConvKernels = own;
            var dx = new float[g.N * g.InChannels * g.InPlane];
            var dw = new float[w.Length];
            var db = new float[g.OutChannels];
            k.ConvBackwardDataF32(g, layouts, dy, w, dx);
            k.ConvBackwardWeightsF32(g, layouts, x, dy, dw, db);
            AssertClose(NaiveConv.BackwardData(g, dyPlanar, w), dx, DataTol, $"backward data (own kernels {own})");
            AssertClose(NaiveConv.BackwardWeights(g, x, dyPlanar), dw, WeightTol, $"weight gradient (own kernels {own})");
            AssertClose(NaiveConv.BiasGrad(g, dyPlanar), db, WeightTol, $"bias gradient (own kernels {own})");
        }
    }
}
