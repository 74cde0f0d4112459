using System.Diagnostics;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Bench;

/// <summary>
/// `probe-dnnl [--torch] [--reps N]`: times the oneDNN backend on the layer shapes the issue names (through the
/// kernel interface, so plain NCHW in and out, reorders included) and, with --torch, the same shapes in
/// PyTorch (Debian's /usr/bin/python3) interleaved case by case, so both see the same machine load. A quick
/// check, not the official `ops` suite.
/// </summary>
internal static class DnnlProbe
{
    public static int Run(string[] args)
    {
        bool torch = args.Contains("--torch");
        int reps = args.SkipWhile(a => a != "--reps").Skip(1).Select(int.Parse).FirstOrDefault(11);
        var dnnl = DnnlKernels.TryCreate();
        if (dnnl is null)
        {
            Console.Error.WriteLine($"probe-dnnl: {DnnlKernels.UnavailableReason}");
            return 1;
        }
        using var py = torch ? TorchProcess.Start(KernelBackend.Threads) : null;
        Console.WriteLine($"# probe-dnnl: {dnnl.Name}, {KernelBackend.Threads} threads, median (min) of {reps} after 3 warm-up calls; load average at start {LoadAverage()}");
        Console.WriteLine("| case | variant | C# ms | GFLOP/s | PyTorch ms | ratio | oneDNN implementation |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var (dims, size) in new[] { (2, new[] { 128, 128 }), (2, new[] { 256, 256 }), (3, new[] { 5, 64, 64 }) })
            ConvCases(dnnl, dims, size, reps, py);
        GemmCases(dnnl, reps, py);
        Console.WriteLine($"# load average at end {LoadAverage()}");
        return 0;
    }

    private static void ConvCases(DnnlKernels dnnl, int dims, int[] size, int reps, TorchProcess? py)
    {
        int[] ones = [.. Enumerable.Repeat(1, dims)];
        int[] k3 = [.. Enumerable.Repeat(3, dims)];
        var g = ConvGeometry.Create("probe", new Derain.Tensors.Shape([1, 64, .. size]), new Derain.Tensors.Shape([64, 64, .. k3]), ones, ones, ones, ones, 1);
        var x = Random(g.N * g.InChannels * g.InPlane, 1);
        var w = Random(64 * 64 * g.KernelPlane, 2, 0.05f);
        var b = Random(64, 3);
        var dy = Random(g.N * g.OutChannels * g.OutPlane, 4);
        var y = Pinned(dy.Length);
        var dx = Pinned(x.Length);
        var dw = Pinned(w.Length);
        var db = Pinned(64);
        double gflop = 2.0 * 64 * 64 * g.KernelPlane * g.OutPlane / 1e9;
        string name = $"conv{dims}d:{string.Join("x", size)}";

        var defaults = (dnnl.ForwardAlgorithm, dnnl.BackwardDataAlgorithm, dnnl.BackwardWeightsAlgorithm);
        foreach (var alg in new[] { DnnlAlgKind.ConvolutionDirect, DnnlAlgKind.ConvolutionAuto })
        {
            dnnl.ForwardAlgorithm = dnnl.BackwardDataAlgorithm = dnnl.BackwardWeightsAlgorithm = alg;
            string v = alg == DnnlAlgKind.ConvolutionDirect ? "direct" : "auto";
            Emit(name + "/fwd", v, Time(() => dnnl.ConvForward<float>(g, x, w, b, y), reps), gflop,
                dnnl.ConvImplementation(g, DnnlKernels.ConvPass.Forward, true), py);
            Emit(name + "/bwd-data", v, Time(() => dnnl.ConvBackwardData<float>(g, dy, w, dx), reps), gflop,
                dnnl.ConvImplementation(g, DnnlKernels.ConvPass.BackwardData, false), py);
            Emit(name + "/bwd-weights", v, Time(() => dnnl.ConvBackwardWeights<float>(g, x, dy, dw, db), reps), gflop,
                dnnl.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, true), py);
        }
        (dnnl.ForwardAlgorithm, dnnl.BackwardDataAlgorithm, dnnl.BackwardWeightsAlgorithm) = defaults;
        Emit(name + "/fwd+bwd", "defaults", Time(() =>
        {
            dnnl.ConvForward<float>(g, x, w, b, y);
            dnnl.ConvBackwardData<float>(g, dy, w, dx);
            dnnl.ConvBackwardWeights<float>(g, x, dy, dw, db);
        }, reps), 3 * gflop, $"{defaults.Item1}/{defaults.Item2}/{defaults.Item3}", py);
    }

    private static void GemmCases(DnnlKernels dnnl, int reps, TorchProcess? py)
    {
        const int m = 64, k = 576, n = 65536;
        var a = Random(m * k, 5);
        var b = Random(k * n, 6);
        var c = Pinned(m * n);
        Emit("sgemm:64x576x65536", "dnnl_sgemm", Time(() => dnnl.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n), reps),
            2.0 * m * n * k / 1e9, "", py);
        var ba = Random(64 * 64 * 32, 7);
        var bb = Random(64 * 32 * 64, 8);
        var bc = Pinned(64 * 64 * 64);
        Emit("bmm:64x(64x32x64)", "matmul", Time(() => dnnl.BatchedGemm<float>(64, false, false, 64, 64, 32, ba, 64 * 32, bb, 32 * 64, bc, 64 * 64), reps),
            2.0 * 64 * 64 * 64 * 32 / 1e9, dnnl.MatmulImplementation(64, false, false, 64, 64, 32, 64 * 32, 32 * 64, 64 * 64), py);
    }

    /// <summary>One table row; ratio = C# median / PyTorch median (min / min in parentheses).</summary>
    private static void Emit(string name, string variant, (double Median, double Min, int Reps) ms, double gflop, string? impl, TorchProcess? py)
    {
        string torchMs = "", ratio = "";
        if (py is not null && variant != "auto")
        {
            // Let the other library's OpenMP workers stop spinning before timing.
            Thread.Sleep(200);
            var t = py.Time(name, ms.Reps);
            torchMs = $"{t.Median:F2} ({t.Min:F2})";
            ratio = $"{ms.Median / t.Median:F2} ({ms.Min / t.Min:F2})";
            Thread.Sleep(200);
        }
        Console.WriteLine($"| {name} | {variant} | {ms.Median:F2} ({ms.Min:F2}) | {gflop / ms.Median * 1e3:F0} ({gflop / ms.Min * 1e3:F0}) | {torchMs} | {ratio} | {impl} |");
    }

    private static (double Median, double Min, int Reps) Time(Action run, int reps)
    {
        for (int i = 0; i < 3; i++) run(); // builds and caches the primitives
        var t = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            t[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(t);
        return (t[reps / 2], t[0], reps);
    }

    private static float[] Pinned(int n) => GC.AllocateArray<float>(n, pinned: true);

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = Pinned(n);
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    /// <summary>bench/Derain.Bench/torch_probe.py kept running; one request per case.</summary>
    private sealed class TorchProcess : IDisposable
    {
        private readonly Process _process;

        private TorchProcess(Process process) => _process = process;

        public static TorchProcess Start(int threads)
        {
            string script = Path.Combine(AppContext.BaseDirectory, "torch_probe.py");
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add(threads.ToString());
            // Our process set OMP_NUM_THREADS for oneDNN; PyTorch gets its count from set_num_threads instead.
            psi.Environment.Remove("OMP_NUM_THREADS");
            return new TorchProcess(Process.Start(psi)!);
        }

        public (double Median, double Min) Time(string name, int reps)
        {
            _process.StandardInput.WriteLine($"{name} {reps}");
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("torch_probe.py exited");
            var f = line.Split(' ');
            return (double.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            _process.WaitForExit(10_000);
            _process.Dispose();
        }
    }
}
