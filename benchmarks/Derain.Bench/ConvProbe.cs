using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Bench;

/// <summary>
/// <c>./bench convprobe [--steps REPS] [--threads N]</c>: every convolution shape of the EEVRSR training step (or the
/// shapes in PROBE_SHAPES, "N,Cin,Cout,k,stride,size;…", square, TF 'SAME' padding), each pass on oneDNN under the
/// plan variants that were weighed against each other: blocked layouts chosen by oneDNN ("any", with reorders of the
/// caller's NCHW buffers), the caller's plain layouts ("plain", no reorders), and for backward weights the "auto"
/// algorithm (which may pick Winograd). Prints the best of REPS runs with the implementation oneDNN chose: the
/// calling thread's CPU time at one thread (stable on a busy machine), wall time otherwise. Backward passes that
/// Derain runs on its own kernels (<see cref="DnnlKernels.FewChannelPays"/>, <see cref="DnnlKernels.SingleOutputPays"/>) are timed that way too ("own").
/// </summary>
public static class ConvProbe
{
    private static readonly (int N, int Cin, int Cout, int K, int S, int H)[] Shapes =
    [
        (8, 48, 12, 3, 1, 128), (32, 24, 24, 3, 1, 64), (32, 24, 24, 5, 1, 64), (32, 5, 24, 5, 2, 128), (8, 5, 24, 7, 1, 128),
        (32, 24, 24, 7, 2, 64), (32, 24, 24, 5, 2, 64), (32, 2, 24, 7, 2, 128), (8, 84, 48, 1, 1, 128), (8, 48, 48, 1, 1, 128),
        (8, 24, 48, 1, 1, 128), (8, 12, 6, 1, 1, 128), (32, 24, 8, 3, 1, 64), (32, 24, 24, 5, 1, 32), (32, 24, 32, 3, 1, 32),
        (32, 24, 24, 3, 1, 32), (8, 6, 1, 5, 1, 128),
    ];

    public static int Run(int reps)
    {
        var only = Environment.GetEnvironmentVariable("PROBE_SHAPES");
        var shapes = only is null ? Shapes : only.Split(';').Select(t => t.Split(',').Select(int.Parse).ToArray()).Select(a => (a[0], a[1], a[2], a[3], a[4], a[5])).ToArray();
        var k = (DnnlKernels)KernelBackend.Float32;
        var rng = new Generator(1);
        Console.WriteLine($"{KernelBackend.Threads} thread(s); ms = min over {reps} of thread CPU time (1 thread) / wall (more)");
        foreach (var (n, cin, cout, ks, st, h) in shapes)
        {
            int o = (h + st - 1) / st;
            int total = Math.Max((o - 1) * st + ks - h, 0);
            var g = ConvGeometry.Create("probe", new Shape(n, cin, h, h), new Shape(cout, cin, ks, ks), [st, st], [1, 1],
                [total / 2, total / 2], [total - total / 2, total - total / 2], 1);
            using var x = Tensor.Rand(new Shape(n, cin, h, h), rng);
            using var w = Tensor.Rand(new Shape(cout, cin, ks, ks), rng);
            using var b = Tensor.Rand(new Shape(cout), rng);
            using var y = Tensor.Rand(new Shape(n, cout, o, o), rng);
            using var dx = Tensor.Rand(new Shape(n, cin, h, h), rng);
            using var dw = Tensor.Rand(new Shape(cout, cin, ks, ks), rng);
            using var db = Tensor.Rand(new Shape(cout), rng);
            string line = $"{n}x{cin}->{cout} k{ks} s{st} {h}²";
            foreach (var pass in new[] { DnnlKernels.ConvPass.Forward, DnnlKernels.ConvPass.BackwardData, DnnlKernels.ConvPass.BackwardWeights })
            {
                k.OwnConvKernels = false;
                foreach (var (plain, alg) in new[] { (false, DnnlAlgKind.ConvolutionDirect), (true, DnnlAlgKind.ConvolutionDirect), (false, DnnlAlgKind.ConvolutionAuto) })
                {
                    if (alg == DnnlAlgKind.ConvolutionAuto && pass != DnnlKernels.ConvPass.BackwardWeights) continue;
                    k.PlainLayout = (_, _) => plain;
                    k.BackwardWeightsAlgorithm = alg;
                    Action run = pass switch
                    {
                        DnnlKernels.ConvPass.Forward => () => k.ConvForward<float>(g, x.Span<float>(), w.Span<float>(), b.Span<float>(), y.Span<float>()),
                        DnnlKernels.ConvPass.BackwardData => () => k.ConvBackwardData<float>(g, y.Span<float>(), w.Span<float>(), dx.Span<float>()),
                        _ => () => k.ConvBackwardWeights<float>(g, x.Span<float>(), y.Span<float>(), dw.Span<float>(), db.Span<float>()),
                    };
                    double best;
                    try { best = Time(run, reps); }
                    catch (DnnlException) { line += $" | {pass.ToString()[0..5]} {(plain ? "plain" : alg == DnnlAlgKind.ConvolutionAuto ? "auto" : "any")} n/a"; continue; }
                    string impl = k.ConvImplementation(g, pass, pass != DnnlKernels.ConvPass.BackwardData) ?? "?";
                    line += $" | {pass.ToString()[..5]} {(plain ? "plain" : alg == DnnlAlgKind.ConvolutionAuto ? "auto" : "any")} {best,6:F2} {impl}";
                }
                // Both activations channels-last (NHWC): oneDNN's NHWC kernels, no reorders.
                {
                    k.OwnConvKernels = true;
                    k.PlainLayout = DnnlKernels.PlainLayoutPays;
                    k.BackwardWeightsAlgorithm = null;
                    var nhwc = new DnnlKernels.ConvLayouts(ActivationLayout.ChannelsLast, ActivationLayout.ChannelsLast);
                    Action run = pass switch
                    {
                        DnnlKernels.ConvPass.Forward => () => k.ConvForwardF32(g, nhwc, x.Span<float>(), w.Span<float>(), b.Span<float>(), y.Span<float>()),
                        DnnlKernels.ConvPass.BackwardData => () => k.ConvBackwardDataF32(g, nhwc, y.Span<float>(), w.Span<float>(), dx.Span<float>()),
                        _ => () => k.ConvBackwardWeightsF32(g, nhwc, x.Span<float>(), y.Span<float>(), dw.Span<float>(), db.Span<float>()),
                    };
                    line += $" | {pass.ToString()[..5]} nhwc {Time(run, reps),6:F2}";
                }
                // Derain's own kernels for few input channels (FewChannelConv; NCHW dy here, blocked in the flow stages).
                k.OwnConvKernels = true;
                k.PlainLayout = DnnlKernels.PlainLayoutPays;
                k.BackwardWeightsAlgorithm = null;
                if (pass != DnnlKernels.ConvPass.BackwardData && k.SingleOutputPays(g, default))
                {
                    Action own = pass == DnnlKernels.ConvPass.Forward
                        ? () => k.ConvForward<float>(g, x.Span<float>(), w.Span<float>(), b.Span<float>(), y.Span<float>())
                        : () => k.ConvBackwardWeights<float>(g, x.Span<float>(), y.Span<float>(), dw.Span<float>(), db.Span<float>());
                    line += $" | {pass.ToString()[..5]} own {Time(own, reps),6:F2} SingleOutputConv";
                }
                if (pass != DnnlKernels.ConvPass.Forward && k.FewChannelPays(g, default))
                {
                    Action own = pass == DnnlKernels.ConvPass.BackwardData
                        ? () => k.ConvBackwardData<float>(g, y.Span<float>(), w.Span<float>(), dx.Span<float>())
                        : () => k.ConvBackwardWeights<float>(g, x.Span<float>(), y.Span<float>(), dw.Span<float>(), db.Span<float>());
                    line += $" | {pass.ToString()[..5]} own {Time(own, reps),6:F2} FewChannelConv";
                    // dy channel-blocked, as the flow stages hand it over.
                    var yb = new float[n * ((cout + Ops.ChannelBlock - 1) / Ops.ChannelBlock) * Ops.ChannelBlock * o * o];
                    var layouts = new DnnlKernels.ConvLayouts(ActivationLayout.Planar, ActivationLayout.Blocked);
                    Action ownBlocked = pass == DnnlKernels.ConvPass.BackwardData
                        ? () => k.ConvBackwardDataF32(g, layouts, yb, w.Span<float>(), dx.Span<float>())
                        : () => k.ConvBackwardWeightsF32(g, layouts, x.Span<float>(), yb, dw.Span<float>(), db.Span<float>());
                    line += $" | {pass.ToString()[..5]} own, dy blocked {Time(ownBlocked, reps),6:F2}";
                }
            }
            Console.WriteLine(line);
        }
        return 0;
    }

    private static double Time(Action run, int reps)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            long c0 = OpProfiler.ThreadCpuNanoseconds(), t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            run();
            long c1 = OpProfiler.ThreadCpuNanoseconds(), t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            double ms = KernelBackend.Threads == 1 ? (c1 - c0) / 1e6 : (t1 - t0) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            best = Math.Min(best, ms);
        }
        return best;
    }
}

