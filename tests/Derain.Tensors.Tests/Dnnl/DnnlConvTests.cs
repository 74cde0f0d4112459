using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Dnnl.Native;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.Dnnl;

/// <summary>
/// oneDNN convolutions against the float64 loops of <see cref="NaiveConv"/> on the same float32 inputs.
/// Tolerances: |err| ≤ rtol·(|ref| + rms(ref)) with rtol = 1e-5 for forward and backward data (float32
/// accumulation of a few hundred products stays near 1e-6 of the output scale) and 1e-4 for weight and bias
/// gradients (sums over every sample and output position, and Winograd's transforms under "auto").
/// </summary>
public class DnnlConvTests
{
    private const double ForwardTol = 1e-5;
    private const double WeightTol = 1e-4;

    /// <summary>A convolution case: input [N, Cin, In…], weight [Cout, Cin/Groups, K…].</summary>
    public sealed record ConvCase(int N, int Cin, int Cout, int Groups, int[] In, int[] K, int[] Stride, int[] Dilation, int[] PadBegin, int[] PadEnd)
    {
        public ConvGeometry Geometry() => ConvGeometry.Create("test", new Shape([N, Cin, .. In]), new Shape([Cout, Cin / Groups, .. K]),
            Stride, Dilation, PadBegin, PadEnd, Groups);
    }

    private static readonly Dictionary<string, ConvCase> Cases = new()
    {
        ["1d k3 pad1"] = new(2, 3, 5, 1, [11], [3], [1], [1], [1], [1]),
        ["1d stride2 dil2 asym"] = new(2, 4, 6, 1, [13], [3], [2], [2], [2], [1]),
        ["1d groups2"] = new(1, 4, 6, 2, [9], [3], [1], [1], [1], [1]),
        ["2d 3x3 pad1"] = new(2, 4, 6, 1, [9, 8], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d stride2 asym pad"] = new(2, 5, 7, 1, [10, 9], [3, 3], [2, 2], [1, 1], [1, 0], [0, 1]),
        ["2d dilation2"] = new(1, 4, 4, 1, [11, 10], [3, 3], [1, 1], [2, 2], [2, 2], [2, 2]),
        ["2d rect kernel mixed stride"] = new(2, 3, 4, 1, [12, 9], [5, 2], [1, 2], [1, 1], [2, 0], [2, 1]),
        ["2d groups2"] = new(2, 6, 4, 2, [7, 7], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d depthwise"] = new(2, 8, 8, 8, [9, 9], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d depthwise x2 stride2"] = new(1, 8, 16, 8, [10, 10], [3, 3], [2, 2], [1, 1], [1, 1], [0, 0]),
        ["2d 1x1"] = new(2, 16, 8, 1, [6, 5], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0]),
        ["2d uncovered tail stride3"] = new(1, 3, 4, 1, [8, 8], [3, 3], [3, 3], [1, 1], [0, 0], [0, 0]),
        ["2d rgb in 3->16"] = new(2, 3, 16, 1, [16, 16], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d 32->32 blocked"] = new(2, 32, 32, 1, [12, 12], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d 64->64 winograd-size"] = new(1, 64, 64, 1, [24, 24], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        ["2d 4x4 stride2 (convT adjoint)"] = new(1, 16, 16, 1, [16, 16], [4, 4], [2, 2], [1, 1], [1, 1], [1, 1]),
        // One output channel at stride 1: backward data runs as the forward convolution with the flipped kernel.
        ["2d 6->1 5x5 same"] = new(2, 6, 1, 1, [12, 11], [5, 5], [1, 1], [1, 1], [2, 2], [2, 2]),
        ["2d 3->1 rect kernel asym pad"] = new(2, 3, 1, 1, [9, 10], [4, 3], [1, 1], [1, 1], [1, 0], [2, 1]),
        ["3d 2->1 3x3x3 pad1"] = new(1, 2, 1, 1, [4, 5, 6], [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 0, 1]),
        ["3d 3x3x3 pad1"] = new(1, 3, 4, 1, [5, 6, 7], [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]),
        ["3d stride dil asym"] = new(2, 4, 4, 1, [6, 9, 8], [2, 3, 3], [1, 2, 2], [1, 2, 1], [0, 2, 1], [1, 1, 0]),
        ["3d groups2 16ch"] = new(1, 16, 16, 2, [4, 6, 6], [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_matches_float64_reference(string name)
    {
        var c = Cases[name];
        var g = c.Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 1);
        var w = TestData.Uniform(g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane, 2);
        var b = TestData.Uniform(g.OutChannels, 3);
        int outCount = g.N * g.OutChannels * g.OutPlane;

        var y = Poisoned(outCount);
        Backend.ConvForward<float>(g, x, w, b, y);
        AssertClose(NaiveConv.Forward(g, x, w, b), y, ForwardTol, $"{name} forward with bias");

        var y0 = Poisoned(outCount);
        Backend.ConvForward<float>(g, x, w, ReadOnlySpan<float>.Empty, y0);
        AssertClose(NaiveConv.Forward(g, x, w, null), y0, ForwardTol, $"{name} forward without bias");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void BackwardData_matches_float64_reference(string name)
    {
        var g = Cases[name].Geometry();
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 4);
        var w = TestData.Uniform(g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane, 5);
        var dx = Poisoned(g.N * g.InChannels * g.InPlane);
        Backend.ConvBackwardData<float>(g, dy, w, dx);
        AssertClose(NaiveConv.BackwardData(g, dy, w), dx, ForwardTol, $"{name} backward data");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void BackwardWeights_and_bias_match_float64_reference(string name)
    {
        var g = Cases[name].Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 6);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 7);
        int wCount = g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane;
        var expectedW = NaiveConv.BackwardWeights(g, x, dy);

        var dw = Poisoned(wCount);
        var db = Poisoned(g.OutChannels);
        Backend.ConvBackwardWeights<float>(g, x, dy, dw, db);
        AssertClose(expectedW, dw, WeightTol, $"{name} weight gradient");
        AssertClose(NaiveConv.BiasGrad(g, dy), db, WeightTol, $"{name} bias gradient");

        var dw0 = Poisoned(wCount);
        Backend.ConvBackwardWeights<float>(g, x, dy, dw0, Span<float>.Empty);
        AssertClose(expectedW, dw0, WeightTol, $"{name} weight gradient without bias");
    }

    /// <summary>Every pass under each algorithm choice (direct, auto, which may pick Winograd, and Winograd requested) on a 3×3 64-channel layer.</summary>
    [Theory]
    [InlineData(DnnlAlgKind.ConvolutionDirect)]
    [InlineData(DnnlAlgKind.ConvolutionAuto)]
    [InlineData(DnnlAlgKind.ConvolutionWinograd)]
    internal void Each_algorithm_choice_matches_reference(DnnlAlgKind algorithm)
    {
        using var k = DnnlKernels.CreateIsolated();
        k.ForwardAlgorithm = k.BackwardDataAlgorithm = algorithm;
        k.BackwardWeightsAlgorithm = algorithm;
        var g = new ConvCase(2, 64, 64, 1, [20, 20], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 8);
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 9);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 10);

        var y = Poisoned(dy.Length);
        k.ConvForward<float>(g, x, w, ReadOnlySpan<float>.Empty, y);
        AssertClose(NaiveConv.Forward(g, x, w, null), y, ForwardTol, $"{algorithm} forward ({k.ConvImplementation(g, DnnlKernels.ConvPass.Forward, false)})");

        var dx = Poisoned(x.Length);
        k.ConvBackwardData<float>(g, dy, w, dx);
        AssertClose(NaiveConv.BackwardData(g, dy, w), dx, ForwardTol, $"{algorithm} backward data ({k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardData, false)})");

        var dw = Poisoned(w.Length);
        var db = Poisoned(g.OutChannels);
        k.ConvBackwardWeights<float>(g, x, dy, dw, db);
        AssertClose(NaiveConv.BackwardWeights(g, x, dy), dw, WeightTol, $"{algorithm} backward weights ({k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, true)})");
        AssertClose(NaiveConv.BiasGrad(g, dy), db, WeightTol, $"{algorithm} bias gradient");
    }

    /// <summary>
    /// Unpadded stride-1 1×1 convolutions run forward and backward data on the caller's NCHW buffers (oneDNN's GEMM
    /// convolution, no reorders); backward weights keeps the blocked direct kernel. Both checked against float64.
    /// </summary>
    [Fact]
    public void One_by_one_forward_and_backward_data_use_plain_layouts()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = new ConvCase(3, 20, 12, 1, [7, 9], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0]).Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 21);
        var w = TestData.Uniform(g.OutChannels * g.InChannels, 22);
        var b = TestData.Uniform(g.OutChannels, 23);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 24);

        var y = Poisoned(dy.Length);
        k.ConvForward<float>(g, x, w, b, y);
        AssertClose(NaiveConv.Forward(g, x, w, b), y, ForwardTol, "1×1 forward");
        Assert.Contains("gemm", k.ConvImplementation(g, DnnlKernels.ConvPass.Forward, true) ?? "");

        var dx = Poisoned(x.Length);
        k.ConvBackwardData<float>(g, dy, w, dx);
        AssertClose(NaiveConv.BackwardData(g, dy, w), dx, ForwardTol, "1×1 backward data");
        Assert.Contains("gemm", k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardData, false) ?? "");

        var dw = Poisoned(w.Length);
        k.ConvBackwardWeights<float>(g, x, dy, dw, Span<float>.Empty);
        AssertClose(NaiveConv.BackwardWeights(g, x, dy), dw, WeightTol, "1×1 backward weights");
        Assert.DoesNotContain("gemm", k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, false) ?? "gemm");
    }

    /// <summary>
    /// A 1×1 layer with at most 16 channels on both sides (EEVRSR's 12→6) also takes its weight gradient on the plain
    /// layout (the blocked kernel would be mostly padding); checked against float64.
    /// </summary>
    [Fact]
    public void One_by_one_backward_weights_with_few_channels_uses_plain_layouts()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = new ConvCase(3, 12, 6, 1, [7, 9], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0]).Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 41);
        var dy = TestData.Uniform(g.N * g.OutChannels * g.OutPlane, 42);
        var dw = Poisoned(g.OutChannels * g.InChannels);
        var db = Poisoned(g.OutChannels);
        k.ConvBackwardWeights<float>(g, x, dy, dw, db);
        AssertClose(NaiveConv.BackwardWeights(g, x, dy), dw, WeightTol, "12→6 1×1 backward weights");
        AssertClose(NaiveConv.BiasGrad(g, dy), db, WeightTol, "12→6 1×1 bias gradient");
        Assert.Contains("gemm", k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, true) ?? "");
    }

    /// <summary>
    /// Below 64 channels backward weights uses the direct algorithm: on the EEVRSR dense-block layer (3×3 48→12 at
    /// 128², N 8) oneDNN's "auto" picks Winograd, which is slower there. Checked against float64 on sampled elements.
    /// </summary>
    [Fact]
    public void Backward_weights_below_64_channels_is_direct()
    {
        using var k = DnnlKernels.CreateIsolated();
        const int n = 8, cin = 48, cout = 12, size = 128;
        var g = new ConvCase(n, cin, cout, 1, [size, size], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        var x = TestData.Uniform(n * cin * size * size, 25);
        var dy = TestData.Uniform(n * cout * size * size, 26);
        var dw = Poisoned(cout * cin * 9);
        k.ConvBackwardWeights<float>(g, x, dy, dw, Span<float>.Empty);
        Assert.DoesNotContain("wino", k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, false) ?? "wino");
        k.BackwardWeightsAlgorithm = DnnlAlgKind.ConvolutionAuto;
        k.ConvBackwardWeights<float>(g, x, dy, Poisoned(dw.Length), Span<float>.Empty);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.Contains("wino", k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, false) ?? "");

        // dw[o,c,ky,kx] = Σ dy[b,o,y,x]·x[b,c,y+ky−1,x+kx−1] in float64 on 16 sampled elements.
        var rng = new Random(27);
        for (int s = 0; s < 16; s++)
        {
            int idx = rng.Next(dw.Length);
            int o = idx / (cin * 9), c = idx / 9 % cin, ky = idx / 3 % 3, kx = idx % 3;
            double sum = 0, scale = 0;
            for (int b = 0; b < n; b++)
                for (int oy = 0; oy < size; oy++)
                {
                    int iy = oy + ky - 1;
                    if (iy < 0 || iy >= size) continue;
                    for (int ox = 0; ox < size; ox++)
                    {
                        int ix = ox + kx - 1;
                        if (ix < 0 || ix >= size) continue;
                        double p = (double)dy[((b * cout + o) * size + oy) * size + ox] * x[((b * cin + c) * size + iy) * size + ix];
                        sum += p;
                        scale += Math.Abs(p);
                    }
                }
            Assert.True(Math.Abs(dw[idx] - sum) <= 1e-5 * scale, $"dw[{idx}] = {dw[idx]}, float64 {sum} (Σ|terms| {scale})");
        }
    }

    /// <summary>
    /// oneDNN's "auto" picks Winograd (jit_wino_4x3) for backward weights only on large layers, too large for the
    /// full float64 loops: 16 channels at 512² here. Checked against float64 on a sample of weight elements and
    /// against the direct algorithm (itself checked above) on all of them. On AVX-512 CPUs (this project's
    /// target) Winograd must actually have been used, or the test would not cover it.
    /// </summary>
    [Fact]
    public void Winograd_backward_weights_matches_reference()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = new ConvCase(1, 16, 16, 1, [512, 512], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        var x = TestData.Uniform(16 * g.InPlane, 16);
        var dy = TestData.Uniform(16 * g.OutPlane, 17);
        var wino = Poisoned(16 * 16 * 9);
        var db = Poisoned(16);
        k.BackwardWeightsAlgorithm = DnnlAlgKind.ConvolutionAuto;
        k.ConvBackwardWeights<float>(g, x, dy, wino, db);
        string impl = k.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, true) ?? "";
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.Contains("wino", impl);

        var direct = Poisoned(wino.Length);
        k.BackwardWeightsAlgorithm = DnnlAlgKind.ConvolutionDirect;
        k.ConvBackwardWeights<float>(g, x, dy, direct, Span<float>.Empty);
        AssertClose([.. direct.Select(v => (double)v)], wino, WeightTol, $"{impl} vs direct");

        // float64 on 24 sampled weight elements: dw[o,c,ky,kx] = Σ dy[o,y,x]·x[c,y+ky−1,x+kx−1].
        var rng = new Random(18);
        var expected = new double[24];
        var actual = new float[24];
        for (int s = 0; s < 24; s++)
        {
            int idx = rng.Next(wino.Length);
            int o = idx / 144, c = idx / 9 % 16, ky = idx / 3 % 3, kx = idx % 3;
            double sum = 0;
            for (int oy = 0; oy < 512; oy++)
            {
                int iy = oy + ky - 1;
                if (iy < 0 || iy >= 512) continue;
                for (int ox = 0; ox < 512; ox++)
                {
                    int ix = ox + kx - 1;
                    if (ix < 0 || ix >= 512) continue;
                    sum += (double)dy[(o * 512 + oy) * 512 + ox] * x[(c * 512 + iy) * 512 + ix];
                }
            }
            expected[s] = sum;
            actual[s] = wino[idx];
        }
        AssertClose(expected, actual, WeightTol, $"{impl} sampled against float64");
        AssertClose(NaiveConv.BiasGrad(g, dy), db, WeightTol, $"{impl} bias gradient");
    }

    /// <summary>
    /// The default forward algorithm is Winograd (jit_wino_4x3) on a 3×3 64-channel layer with a 64×64 plane, and its
    /// output, with and without the fused ReLU post-op, matches the float64 loops. F(4×4, 3×3) transforms round
    /// more than the direct sum, so the bound is the weight-gradient one (1e-4 of the output scale).
    /// </summary>
    [Fact]
    public void Default_forward_is_winograd_on_large_3x3_layers_and_matches_reference()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = new ConvCase(1, 64, 64, 1, [64, 64], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        var x = TestData.Uniform(g.InChannels * g.InPlane, 30);
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 31);
        var b = TestData.Uniform(g.OutChannels, 32);
        var expected = NaiveConv.Forward(g, x, w, b);

        var y = Poisoned(expected.Length);
        k.ConvForward<float>(g, x, w, b, y);
        string impl = k.ConvImplementation(g, DnnlKernels.ConvPass.Forward, true) ?? "";
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.Contains("wino", impl);
        AssertClose(expected, y, WeightTol, $"{impl} forward");

        var yr = Poisoned(expected.Length);
        k.ConvReluForward<float>(g, x, w, b, yr);
        AssertClose([.. expected.Select(v => Math.Max(v, 0))], yr, WeightTol, $"{impl} forward with ReLU post-op");
        Assert.DoesNotContain(yr, v => v < 0);
    }

    /// <summary>The fused convolution + ReLU on the direct kernels (and on the plain 1×1 path) against the float64 loops.</summary>
    [Theory]
    [InlineData("2d 3x3 pad1")]
    [InlineData("2d rgb in 3->16")]
    [InlineData("2d 1x1")]
    [InlineData("2d stride2 asym pad")]
    public void Conv_relu_forward_matches_reference(string name)
    {
        var g = Cases[name].Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 33);
        var w = TestData.Uniform(g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane, 34);
        var b = TestData.Uniform(g.OutChannels, 35);
        var expected = NaiveConv.Forward(g, x, w, b).Select(v => Math.Max(v, 0)).ToArray();
        var y = Poisoned(expected.Length);
        Backend.ConvReluForward<float>(g, x, w, b, y);
        AssertClose(expected, y, ForwardTol, $"{name} oneDNN conv + ReLU");
        var managed = Poisoned(expected.Length);
        Derain.Tensors.Kernels.Managed.ManagedKernels.Instance.ConvReluForward<float>(g, x, w, b, managed);
        AssertClose(expected, managed, ForwardTol, $"{name} managed conv + ReLU");
    }

    /// <summary>
    /// A chain of three convolutions (RGB in → 64 → 64 with ReLU post-ops → 3 without, the last two at a Winograd-sized
    /// plane) in one oneDNN plan, intermediates kept blocked, against the float64 loops applied stage by stage to the
    /// float64 intermediates; and the managed chain against the same reference.
    /// </summary>
    [Fact]
    public void Conv_chain_matches_stage_by_stage_reference()
    {
        ConvGeometry G(int cin, int cout) => new ConvCase(1, cin, cout, 1, [64, 64], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        ConvGeometry[] stages = [G(3, 64), G(64, 64), G(64, 3)];
        bool[] relu = [true, true, false];
        bool[] bias = [true, false, true];
        var x = TestData.Uniform(3 * 64 * 64, 40);
        var parameters = new List<float>();
        double[] reference = [.. x.Select(v => (double)v)];
        for (int k = 0; k < stages.Length; k++)
        {
            var g = stages[k];
            var w = TestData.Uniform(g.OutChannels * g.InChannels * 9, 41 + k);
            var b = bias[k] ? TestData.Uniform(g.OutChannels, 51 + k) : null;
            parameters.AddRange(w);
            if (b is not null) parameters.AddRange(b);
            // The float64 reference takes float32 inputs; stage k's input is rounded to float32 as the chain stores it.
            var y = NaiveConv.Forward(g, [.. reference.Select(v => (float)v)], w, b);
            reference = relu[k] ? [.. y.Select(v => Math.Max(v, 0))] : y;
        }
        var got = Poisoned(3 * 64 * 64);
        Backend.ConvChainForward<float>(stages, relu, bias, parameters.ToArray(), x, got);
        AssertClose(reference, got, WeightTol, "oneDNN chain");
        var managed = Poisoned(got.Length);
        Derain.Tensors.Kernels.Managed.ManagedKernels.Instance.ConvChainForward<float>(stages, relu, bias, parameters.ToArray(), x, managed);
        AssertClose(reference, managed, ForwardTol, "managed chain");
    }

    [Fact]
    public void Second_call_with_the_same_geometry_creates_no_primitive()
    {
        using var k = DnnlKernels.CreateIsolated();
        var g = Cases["2d 3x3 pad1"].Geometry();
        var x = TestData.Uniform(g.N * g.InChannels * g.InPlane, 11);
        var w = TestData.Uniform(g.OutChannels * g.InChannels * g.KernelPlane, 12);
        var b = TestData.Uniform(g.OutChannels, 13);
        var y = new float[g.N * g.OutChannels * g.OutPlane];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];

        Assert.Equal(0, k.PrimitivesCreated);
        k.ConvForward<float>(g, x, w, b, y);
        long afterForward = k.PrimitivesCreated;
        Assert.True(afterForward >= 1, "the first forward call builds its primitive");
        k.ConvForward<float>(g, x, w, b, y);
        Assert.Equal(afterForward, k.PrimitivesCreated);

        k.ConvBackwardData<float>(g, y, w, dx);
        k.ConvBackwardWeights<float>(g, x, y, dw, db);
        long afterAll = k.PrimitivesCreated;
        Assert.True(afterAll > afterForward);
        // An equal geometry built separately hits the same cache entry.
        var same = Cases["2d 3x3 pad1"].Geometry();
        k.ConvForward<float>(same, x, w, b, y);
        k.ConvBackwardData<float>(same, y, w, dx);
        k.ConvBackwardWeights<float>(same, x, y, dw, db);
        Assert.Equal(afterAll, k.PrimitivesCreated);
        Assert.Equal(3, k.ConvPlanCount);

        // Without a bias it is a different primitive.
        k.ConvForward<float>(g, x, w, ReadOnlySpan<float>.Empty, y);
        Assert.True(k.PrimitivesCreated > afterAll);
    }

    [Fact]
    public void Plan_cache_evicts_the_least_recently_used_shape_beyond_its_capacity()
    {
        using var k = DnnlKernels.CreateIsolated();
        k.ConvPlanCapacity = 2;
        ConvGeometry G(int size) => new ConvCase(1, 4, 4, 1, [size, size], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]).Geometry();
        void Forward(ConvGeometry g)
        {
            var x = TestData.Uniform(4 * g.InPlane, 14);
            var w = TestData.Uniform(4 * 4 * 9, 15);
            var y = Poisoned(4 * g.OutPlane);
            k.ConvForward<float>(g, x, w, ReadOnlySpan<float>.Empty, y);
            AssertClose(NaiveConv.Forward(g, x, w, null), y, ForwardTol, $"forward {g.InSize[0]}²");
        }
        Forward(G(5));
        Forward(G(6));
        Forward(G(5)); // 5² is now the most recently used
        long before = k.PrimitivesCreated;
        Forward(G(7)); // evicts 6²
        Assert.Equal(2, k.ConvPlanCount);
        long afterNew = k.PrimitivesCreated;
        Assert.True(afterNew > before);
        Forward(G(5));
        Assert.Equal(afterNew, k.PrimitivesCreated);
        Forward(G(6)); // rebuilt after eviction
        Assert.True(k.PrimitivesCreated > afterNew);
        Assert.Equal(2, k.ConvPlanCount);
    }

    [Fact]
    public void Too_short_spans_are_rejected_before_reaching_native_code()
    {
        var g = Cases["2d 3x3 pad1"].Geometry();
        var x = new float[g.N * g.InChannels * g.InPlane];
        var w = new float[g.OutChannels * g.InChannels * g.KernelPlane];
        var y = new float[g.N * g.OutChannels * g.OutPlane - 1];
        var e = Assert.Throws<ArgumentException>(() => Backend.ConvForward<float>(g, x, w, ReadOnlySpan<float>.Empty, y));
        Assert.Contains("ConvForward", e.Message);
        Assert.Throws<ArgumentException>(() => Backend.ConvBackwardWeights<float>(g, x, new float[y.Length + 1], w, new float[1]));
    }
}
