using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Derain.Bench;

/// <summary>
/// One benchmark row: a name shared with the PyTorch side, and a factory that prepares inputs and returns the timed
/// action; <paramref name="Items"/> &gt; 0 counts what one call processes (frames, clips) for a throughput column.
/// </summary>
public sealed record BenchRow(string Name, Func<Action> Setup, double Flops = 0, int Items = 0);

/// <summary>A measured row.</summary>
public sealed record BenchResult(string Name, double DerainMs, double TorchMs, int DerainReps, int TorchReps, double Flops, int Items = 0)
{
    public double Ratio => DerainMs / TorchMs;

    /// <summary>Items per second on each side (0 when the row counts none).</summary>
    public double DerainPerSecond => Items > 0 ? Items * 1000.0 / DerainMs : 0;

    public double TorchPerSecond => Items > 0 ? Items * 1000.0 / TorchMs : 0;
}

/// <summary>
/// Runs each row in Derain and then, back to back, in Debian's PyTorch (a child process running
/// tools/bench/&lt;script&gt;.py, which times the same row the same way: a warm-up of at least 2 calls and 0.5 s,
/// then the median of as many calls as fit in the time budget, at least 3). Measuring the two sides row by row in one run keeps
/// machine noise from drifting between them; only ratios are meant to be compared.
/// <paramref name="scriptArgs"/> follow the thread count on the script's command line.
/// </summary>
public sealed class SideBySide(string torchScript, int threads, double minSeconds, params string[] scriptArgs)
{
    public List<BenchResult> Run(IReadOnlyList<BenchRow> rows, Action<BenchResult>? onRow = null)
    {
        using var torch = StartTorch();
        var results = new List<BenchResult>();
        foreach (var row in rows)
        {
            var (ms, reps) = Measure(row.Setup(), minSeconds);
            var (tms, treps) = AskTorch(torch, row.Name);
            var r = new BenchResult(row.Name, ms, tms, reps, treps, row.Flops, row.Items);
            results.Add(r);
            onRow?.Invoke(r);
        }
        TorchPeakMiB = StatusMiB($"/proc/{torch.Id}/status", "VmHWM");
        torch.StandardInput.Close();
        torch.WaitForExit(10_000);
        return results;
    }

    /// <summary>The PyTorch process's peak resident size (VmHWM) at the end of <see cref="Run"/>, in MiB.</summary>
    public double TorchPeakMiB { get; private set; } = double.NaN;

    /// <summary>A memory field of a /proc/…/status file (VmHWM, VmRSS, …) in MiB; NaN if absent.</summary>
    public static double StatusMiB(string statusFile, string field)
    {
        foreach (var line in File.ReadLines(statusFile))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    /// <summary>
    /// Median milliseconds of <paramref name="run"/> after a warm-up of at least two calls and half a second:
    /// .NET's tiered JIT replaces first-tier code only after a delay of about 100 ms, so timing sub-millisecond
    /// ops right away measures unoptimised code.
    /// </summary>
    public static (double Ms, int Reps) Measure(Action run, double minSeconds)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2 || warm.Elapsed.TotalSeconds < 0.5; i++) run();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 3 || (total.Elapsed.TotalSeconds < minSeconds && times.Count < 200))
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        return (times[times.Count / 2], times.Count);
    }

    /// <summary>Debian's libtcmalloc-minimal4 (installed by <c>tools/setup-deps.sh --torch</c>).</summary>
    internal const string TcMalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    private Process StartTorch()
    {
        var script = Path.Combine(RepoRoot(), "tools", "bench", torchScript);
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, threads.ToString(CultureInfo.InvariantCulture), .. scriptArgs])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        // PyTorch on CPU is meant to run with a caching allocator (tcmalloc or jemalloc; PyTorch's and Intel's CPU
        // performance guides say so). With glibc malloc every large tensor is a fresh mmap, and on the VMs here each
        // 4 KiB page fault costs about 8 µs: a ReLU over 60 MB took 118 ms instead of 4 ms, which made PyTorch look
        // 5–15× slower than it is. Derain keeps its buffers in a pool, so only the PyTorch side needs this.
        if (File.Exists(TcMalloc)) psi.Environment["LD_PRELOAD"] = TcMalloc;
        var p = Process.Start(psi) ?? throw new InvalidOperationException("Could not start /usr/bin/python3.");
        var first = p.StandardOutput.ReadLine();
        if (first != "ready")
            throw new InvalidOperationException($"The PyTorch side did not start ({first ?? "no output"}). Install it with: tools/setup-deps.sh --torch");
        return p;
    }

    private (double Ms, int Reps) AskTorch(Process torch, string name)
    {
        torch.StandardInput.WriteLine($"{name} {minSeconds.ToString(CultureInfo.InvariantCulture)}");
        torch.StandardInput.Flush();
        var line = torch.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The PyTorch side stopped while timing {name}.");
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0] != name || parts[1] == "error")
            throw new InvalidOperationException($"The PyTorch side answered '{line}' for {name}.");
        return (double.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The repository root (the folder holding Derain.slnx), found from the working directory or the binary.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Derain.slnx"))) return d.FullName;
        }
        throw new InvalidOperationException("Run the benchmark from inside the Derain repository.");
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Writes one JSON object per row: {"name","derain_ms","torch_ms","ratio"}, plus "items_per_call",
    /// "derain_per_s" and "torch_per_s" for rows that count items.</summary>
    public static void WriteJson(string path, IEnumerable<BenchResult> results)
    {
        var rows = results.Select(r => new Dictionary<string, object>
        {
            ["name"] = r.Name,
            ["derain_ms"] = Math.Round(r.DerainMs, 4),
            ["torch_ms"] = Math.Round(r.TorchMs, 4),
            ["ratio"] = Math.Round(r.Ratio, 4),
        }).ToList();
        foreach (var (row, r) in rows.Zip(results))
        {
            if (r.Items == 0) continue;
            row["items_per_call"] = r.Items;
            row["derain_per_s"] = Math.Round(r.DerainPerSecond, 4);
            row["torch_per_s"] = Math.Round(r.TorchPerSecond, 4);
        }
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(rows, JsonOptions));
        File.Move(tmp, path, overwrite: true);
    }
}
