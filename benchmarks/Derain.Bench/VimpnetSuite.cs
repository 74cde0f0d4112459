using System.Diagnostics;
using System.Globalization;
using Derain.Models.Vimpnet;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;
using Derain.Tensors.Memory;

namespace Derain.Bench;

/// <summary>
/// <c>./bench vimpnet</c>: ViMP-Net rows, Derain against the independent PyTorch port tools/vimpnet/vimpnet_torch.py
/// (tools/bench/torch_vimpnet.py). A forward takes seconds in Derain and minutes in PyTorch 1.13 (its CPU Conv3d), so
/// the protocol differs from <see cref="SideBySide"/>'s medians: each row runs in a fresh process per side (this
/// program re-invoked with <c>vimpnet-row</c>, and Python), makes <c>--warmup</c> untimed calls (default 1) and times
/// one. Each side reports its peak resident size (VmHWM of /proc/self/status, what getrusage's ru_maxrss gives) and
/// its resident size just before the first call, weights and input loaded; the difference is the row's own peak.
/// Both sides load the same weights: the seeded fixture weights written once by <c>vimpnet_torch.py save-seeded</c>
/// into artifacts/bench/vimpnet_seeded.pth (a plain state dict, read by <see cref="VimpnetCheckpoint"/>).
/// </summary>
public static class VimpnetSuite
{
    /// <summary>One no-grad forward of a [1, 5, 3, 256, 256] clip.</summary>
    public const string ForwardRow = "vimpnet_forward_5x256";

    /// <summary>
    /// One training step at batch 1 of a [1, 5, 3, 256, 256] clip, full width, as <c>derain train</c> runs it after
    /// fix_iter: train-mode forward, the five-term loss (<see cref="VimpnetLoss"/>) against fixed random labels, backward,
    /// Adam (0.9, 0.99) with SPyNet at 0.25× the rate, gradients zeroed. Without gradient checkpointing, so both sides do
    /// the same work (docs/training.md gives the checkpointed peak).
    /// </summary>
    public const string TrainStepRow = "vimpnet_train_step_5x256";

    /// <summary>The rows in order (the same names as torch_vimpnet.py's ROWS).</summary>
    public static IReadOnlyList<string> Rows { get; } = [ForwardRow, TrainStepRow];

    /// <summary>Runs every row (or those containing <paramref name="only"/>) on both sides and prints the table.</summary>
    public static int Run(int threads, int warmups, string? only)
    {
        string weights = SeededWeights();
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {threads} threads (PyTorch {threads} threads); {warmups} untimed call(s), then one timed; each row in a fresh process per side");
        Console.WriteLine("targets: Derain time ≤ 0.7 × PyTorch, peak memory ≤ 1.0 × PyTorch");
        Console.WriteLine($"{"row",-24} {"derain ms",10} {"torch ms",10} {"ratio",6} {"derain peak",12} {"torch peak",11} {"ratio",6} {"derain Δ",9} {"torch Δ",8}  (MiB; Δ = peak − resident before the first call)");
        foreach (var row in Rows.Where(r => only is null || r.Contains(only, StringComparison.Ordinal)))
        {
            var derain = Child(DerainCommand(row, weights, threads, warmups), threads, torch: false);
            var torch = Child(TorchCommand(row, weights, threads, warmups), threads, torch: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row,-24} {derain.Ms,10:F0} {torch.Ms,10:F0} {derain.Ms / torch.Ms,6:F2} {derain.PeakMiB,12:F0} {torch.PeakMiB,11:F0} {derain.PeakMiB / torch.PeakMiB,6:F2} {derain.PeakMiB - derain.BaseMiB,9:F0} {torch.PeakMiB - torch.BaseMiB,8:F0}"));
        }
        return 0;
    }

    /// <summary>The child side (<c>vimpnet-row ROW WEIGHTS WARMUPS</c>): prints "ROW MS 1 PEAK_MIB BASE_MIB" like torch_vimpnet.py.</summary>
    public static int RunRow(string row, string weights, int warmups)
    {
        if (!Rows.Contains(row))
        {
            Console.WriteLine($"{row} error unknown-row");
            return 2;
        }
        var net = VimpnetCheckpoint.Load(weights);
        var run = Action(row, net);
        double baseMiB = Status("VmRSS");
        for (int i = 0; i < warmups; i++) run();
        var clock = Stopwatch.StartNew();
        run();
        double ms = clock.Elapsed.TotalMilliseconds;
        // Where the peak goes (standard error, not parsed): tensor bytes in use at most, and what the pool took from the runtime.
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{row}: tensors in use at most {BufferPool.PeakOutstandingBytes / 1048576.0:F0} MiB, pool allocated {BufferPool.AllocatedBytes / 1048576.0:F0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row} {ms:F1} 1 {Status("VmHWM"):F1} {baseMiB:F1}"));
        return 0;
    }

    private static Action Action(string row, VimpnetNet net) => row switch
    {
        ForwardRow => Forward(net),
        TrainStepRow => TrainStep(net),
        _ => throw new ArgumentException($"unknown row {row}", nameof(row)),
    };

    private static Action Forward(VimpnetNet net)
    {
        var clip = Tensor.Rand(new Shape(1, 5, 3, 256, 256), new Generator(0), 0, 1);
        TensorScope.Detach(clip);
        return () =>
        {
            using var scope = TensorScope.Begin();
            using var _ = GradMode.NoGrad();
            net.Forward(clip);
        };
    }

    private static Action TrainStep(VimpnetNet net)
    {
        var g = new Generator(0);
        var clip = Tensor.Rand(new Shape(1, 5, 3, 256, 256), g, 0, 1);
        var gt = Tensor.Rand(new Shape(1, 5, 3, 256, 256), g, 0, 1);
        var drop = Tensor.Rand(new Shape(1, 5, 3, 256, 256), g, 0, 1);
        var mask = Tensor.Rand(new Shape(1, 5, 1, 256, 256), g, 0, 1);
        var streak = Tensor.Rand(new Shape(1, 5, 1, 256, 256), g, 0, 1);
        foreach (var t in new[] { clip, gt, drop, mask, streak }) TensorScope.Detach(t);
        net.Train();
        var spynet = net.SpyNet.Parameters().ToHashSet();
        var adam = new Derain.NN.Optim.Adam(
        [
            new Derain.NN.Optim.ParamGroup(net.Parameters().Where(p => p.RequiresGrad && !spynet.Contains(p)), "generator"),
            new Derain.NN.Optim.ParamGroup(spynet, "spynet") { LrMultiplier = 0.25 },
        ], 1e-4, 0.9, 0.99, 1e-8, 0);
        var loss = new VimpnetLoss();
        return () =>
        {
            using var scope = TensorScope.Begin();
            var terms = loss.Compute(net.Forward(clip), gt, drop, mask, streak);
            terms.Total.Backward();
            adam.Step();
            adam.ZeroGrad();
        };
    }

    /// <summary>artifacts/bench/vimpnet_seeded.pth, written by the PyTorch port on first use.</summary>
    private static string SeededWeights()
    {
        string path = Path.Combine(SideBySide.RepoRoot(), "artifacts", "bench", "vimpnet_seeded.pth");
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string script = Path.Combine(SideBySide.RepoRoot(), "tools", "vimpnet", "vimpnet_torch.py");
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, "save-seeded", path + ".tmp"]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not start /usr/bin/python3.");
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"vimpnet_torch.py save-seeded failed (exit {p.ExitCode}); it needs ../shared/fixtures/vimpnet and numpy.");
        File.Move(path + ".tmp", path);
        return path;
    }

    private static ProcessStartInfo DerainCommand(string row, string weights, int threads, int warmups)
    {
        string self = typeof(VimpnetSuite).Assembly.Location;
        var args = new List<string> { self, "vimpnet-row", row, weights, warmups.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) };
        return new ProcessStartInfo("dotnet", args);
    }

    private static ProcessStartInfo TorchCommand(string row, string weights, int threads, int warmups)
    {
        string script = Path.Combine(SideBySide.RepoRoot(), "tools", "bench", "torch_vimpnet.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, threads.ToString(CultureInfo.InvariantCulture), weights, row, warmups.ToString(CultureInfo.InvariantCulture)]);
        // The same caching allocator as the other side-by-side suites (see SideBySide.StartTorch).
        if (File.Exists(SideBySide.TcMalloc)) psi.Environment["LD_PRELOAD"] = SideBySide.TcMalloc;
        return psi;
    }

    private static (double Ms, double PeakMiB, double BaseMiB) Child(ProcessStartInfo psi, int threads, bool torch)
    {
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}.");
        string? last = null;
        while (p.StandardOutput.ReadLine() is { } line) last = line;
        p.WaitForExit();
        var parts = last?.Split(' ') ?? [];
        if (p.ExitCode != 0 || parts.Length != 5 || parts[1] == "error")
            throw new InvalidOperationException($"The {(torch ? "PyTorch" : "Derain")} side failed (exit {p.ExitCode}): {last ?? "no output"}");
        double At(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
        return (At(1), At(3), At(4));
    }

    private static double Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
