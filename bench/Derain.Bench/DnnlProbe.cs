using System.Diagnostics;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Bench;

/// <summary>
/// `probe-dnnl [--torch] [--reps N]` (N calls per round, 3 rounds): times the oneDNN backend on the layer shapes the issue names (through the
/// kernel interface, so plain NCHW in and out, reorders included) and, with --torch, the same shapes in
/// PyTorch (Debian's /usr/bin/python3) interleaved case by case, so both see the same machine load. A quick
/// check, not the official `ops` suite.
/// </summary>
internal static class DnnlProbe
{
    public static int Run(string[] args)
    {
        bool torch = args.Contains("--torch");
        int reps = args.SkipWhile(a => a != "--reps").Skip(1).Select(int.Parse).FirstOrDefault(5);
        var dnnl = DnnlKernels.TryCreate();
        if (dnnl is null)
        {
            Console.Error.WriteLine($"probe-dnnl: {DnnlKernels.UnavailableReason}");
            return 1;
        }
        using var py = torch ? TorchProcess.Start(KernelBackend.Threads) : null;
        Console.WriteLine($"# probe-dnnl: {dnnl.Name}, {KernelBackend.Threads} threads, median (min) of 3 rounds × {reps} calls after 3 warm-up calls; load average at start {LoadAverage()}");
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
            // PyTorch has no algorithm switch: compare it once, on the direct rows.
            bool compare = alg == DnnlAlgKind.ConvolutionDirect;
            Emit(name + "/fwd", v, () => dnnl.ConvForward<float>(g, x, w, b, y), reps, gflop,
                () => dnnl.ConvImplementation(g, DnnlKernels.ConvPass.Forward, true), py, compare);
            Emit(name + "/bwd-data", v, () => dnnl.ConvBackwardData<float>(g, dy, w, dx), reps, gflop,
                () => dnnl.ConvImplementation(g, DnnlKernels.ConvPass.BackwardData, false), py, compare);
            Emit(name + "/bwd-weights", v, () => dnnl.ConvBackwardWeights<float>(g, x, dy, dw, db), reps, gflop,
                () => dnnl.ConvImplementation(g, DnnlKernels.ConvPass.BackwardWeights, true), py, compare);
        }
        (dnnl.ForwardAlgorithm, dnnl.BackwardDataAlgorithm, dnnl.BackwardWeightsAlgorithm) = defaults;
        Emit(name + "/fwd+bwd", "defaults", () =>
        {
            dnnl.ConvForward<float>(g, x, w, b, y);
            dnnl.ConvBackwardData<float>(g, dy, w, dx);
            dnnl.ConvBackwardWeights<float>(g, x, dy, dw, db);
        }, reps, 3 * gflop, () => $"{defaults.Item1}/{defaults.Item2}/{defaults.Item3}", py);
    }

    private static void GemmCases(DnnlKernels dnnl, int reps, TorchProcess? py)
    {
        const int m = 64, k = 576, n = 65536;
        var a = Random(m * k, 5);
        var b = Random(k * n, 6);
        var c = Pinned(m * n);
        Emit("sgemm:64x576x65536", "dnnl_sgemm", () => dnnl.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n), reps,
            2.0 * m * n * k / 1e9, () => "", py);
        var ba = Random(64 * 64 * 32, 7);
        var bb = Random(64 * 32 * 64, 8);
        var bc = Pinned(64 * 64 * 64);
        Emit("bmm:64x(64x32x64)", "matmul", () => dnnl.BatchedGemm<float>(64, false, false, 64, 64, 32, ba, 64 * 32, bb, 32 * 64, bc, 64 * 64), reps,
            2.0 * 64 * 64 * 64 * 32 / 1e9, () => dnnl.MatmulImplementation(64, false, false, 64, 64, 32, 64 * 32, 32 * 64, 64 * 64), py);
    }

    /// <summary>
    /// Times <paramref name="run"/> and, with PyTorch, the same case there: <c>Rounds</c> rounds alternating
    /// <paramref name="reps"/> calls of each, so load spikes from other processes hit both sides alike. Reports
    /// median and min over all calls; ratio = C# / PyTorch.
    /// </summary>
    private static void Emit(string name, string variant, Action run, int reps, double gflop, Func<string?> impl, TorchProcess? py, bool compare = true)
    {
        const int Rounds = 3;
        for (int i = 0; i < 3; i++) run(); // builds and caches the primitives
        var mine = new List<double>();
        var theirs = new List<double>();
        for (int r = 0; r < Rounds; r++)
        {
            for (int i = 0; i < reps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                run();
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            if (py is not null && compare)
            {
                // Let each library's OpenMP workers stop spinning before the other one runs.
                Thread.Sleep(100);
                theirs.AddRange(py.Time(name, reps));
                Thread.Sleep(100);
            }
        }
        var (med, min) = Stats(mine);
        string torchMs = "", ratio = "";
        if (theirs.Count > 0)
        {
            var (tMed, tMin) = Stats(theirs);
            torchMs = $"{tMed:F2} ({tMin:F2})";
            ratio = $"{med / tMed:F2} ({min / tMin:F2})";
        }
        Console.WriteLine($"| {name} | {variant} | {med:F2} ({min:F2}) | {gflop / med * 1e3:F0} ({gflop / min * 1e3:F0}) | {torchMs} | {ratio} | {impl()} |");
    }

    private static (double Median, double Min) Stats(List<double> t)
    {
        t.Sort();
        return (t[t.Count / 2], t[0]);
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

        public IEnumerable<double> Time(string name, int reps)
        {
            _process.StandardInput.WriteLine($"{name} {reps}");
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("torch_probe.py exited");
            return line.Split(' ').Skip(1).Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            _process.WaitForExit(10_000);
            _process.Dispose();
        }
    }
}
