using System.Globalization;
using Derain.Tensors.Kernels;

namespace Derain.Bench;

/// <summary>
/// <c>./bench ops [--json FILE] [--threads N] [--seconds S] [--only TEXT]</c>: the side-by-side operator table
/// (Derain vs Debian's PyTorch 1.13 at the same thread count, one run, ratio Derain/PyTorch per row);
/// <c>./bench memory [--steps N]</c>: resident memory over N training steps of a small conv net;
/// <c>./bench eevrsr [--json FILE] [--threads N] [--seconds S] [--only TEXT]</c>: EEVRSR inference at 640×480 and one training
/// step, Derain against the PyTorch reference in tools/eevrsr (<see cref="EevrsrSuite"/>);
/// <c>./bench eevrsr --profile STEPS</c>: the per-op profile of that training step (<see cref="EevrsrSuite.Profile"/>);
/// <c>./bench convprobe [--steps REPS]</c>: its convolutions under oneDNN plan variants (<see cref="ConvProbe"/>);
/// <c>./bench mgid</c>: MGID inference at 512×512 and one training step (batch 8 of 2×256² pairs) against tools/mgid (<see cref="MgidSuite"/>),
/// with each side's peak resident size; <c>./bench mgid --profile STEPS</c>: the per-op profile of its training step
/// (<see cref="MgidSuite.Profile"/>); <c>./bench mgid-steps [--only TEXT] [--steps N]</c>: Derain's side alone, call by call;
/// <c>./bench vimpnet [--threads N] [--warmup N] [--only TEXT]</c>: ViMP-Net time and peak memory against tools/vimpnet
/// (<see cref="VimpnetSuite"/>; it re-invokes this program as <c>vimpnet-row ROW WEIGHTS WARMUPS</c> per row).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: ./bench ops [--json FILE] [--threads N] [--seconds S] [--only TEXT] [--peak GFLOPS] | ./bench memory [--steps N] | ./bench eevrsr [--json FILE] [--threads N] [--seconds S] [--only TEXT] [--profile STEPS] | ./bench convprobe [--steps REPS] [--threads N] | ./bench mgid [--json FILE] [--threads N] [--seconds S] [--only TEXT] [--profile STEPS] | ./bench mgid-steps [--only TEXT] [--steps N] [--threads N] | ./bench vimpnet [--threads N] [--warmup N] [--only TEXT]");
            return args.Length == 0 ? 2 : 0;
        }
        string? json = null, only = null;
        int threads = 2, steps = 1000, profile = 0, warmups = 1, first = 1;
        if (args[0] == "vimpnet-row") first = 4;
        double? peakOverride = null;
        double seconds = 1.0;
        for (int i = first; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--json": json = Next(); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--only": only = Next(); break;
                case "--steps": steps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--profile": profile = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmups = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--peak": peakOverride = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"bench: unknown option {args[i]}"); return 2;
            }
        }
        KernelBackend.Threads = threads;
        if (args[0] == "memory") return MemorySuite.Run(steps);
        if (args[0] == "convprobe") return ConvProbe.Run(args.Contains("--steps") ? steps : 5);
        if (args[0] == "eevrsr" && profile > 0) return EevrsrSuite.Profile(profile);
        if (args[0] == "eevrsr") return EevrsrSuite.Run(threads, seconds, json, only);
        if (args[0] == "mgid-steps") return MgidSuite.Steps(args.Contains("--steps") ? steps : 3, only);
        if (args[0] == "mgid" && profile > 0) return MgidSuite.Profile(profile);
        if (args[0] == "mgid") return MgidSuite.Run(threads, seconds, json, only);
        if (args[0] == "vimpnet") return VimpnetSuite.Run(threads, warmups, only);
        if (args[0] == "vimpnet-row") return VimpnetSuite.RunRow(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        if (args[0] != "ops")
        {
            Console.Error.WriteLine($"bench: unknown suite '{args[0]}' (known: ops, memory, eevrsr, convprobe, mgid, mgid-steps, vimpnet)");
            return 2;
        }
        var rows = OpsSuite.Rows().Where(r => only is null || r.Name.Contains(only, StringComparison.Ordinal)).ToList();
        double nominal = PeakGflops(threads);
        // The VM reports only its nominal clock; sustained conv runs above it (boost), so "% peak" uses the
        // measured estimate for this machine (../shared/docs/compute-backend.md: 0.4–0.5 TFLOP/s on 2 cores)
        // unless --peak says otherwise.
        double peak = peakOverride ?? Math.Max(nominal, 225.0 * threads);
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {threads} threads; fp32 peak taken as {peak:F0} GFLOP/s (nominal clock gives {nominal:F0}: {threads} cores × 64 FLOP/cycle)");
        Console.WriteLine($"{"row",-32} {"derain ms",10} {"torch ms",10} {"ratio",7} {"GFLOP/s",8} {"% peak",7}");
        var results = new SideBySide("torch_ops.py", threads, seconds).Run(rows, r =>
        {
            string gf = r.Flops > 0 ? (r.Flops / r.DerainMs / 1e6).ToString("F0", CultureInfo.InvariantCulture) : "";
            string pk = r.Flops > 0 ? (100 * r.Flops / r.DerainMs / 1e6 / peak).ToString("F0", CultureInfo.InvariantCulture) + "%" : "";
            Console.WriteLine($"{r.Name,-32} {r.DerainMs,10:F3} {r.TorchMs,10:F3} {r.Ratio,7:F2} {gf,8} {pk,7}");
        });
        if (json is not null) SideBySide.WriteJson(json, results);
        return 0;
    }

    /// <summary>Peak fp32 FLOP/s: two 512-bit FMA pipes per Zen 5 core = 64 FLOP/cycle, at the nominal clock.</summary>
    private static double PeakGflops(int threads)
    {
        double mhz = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                    mhz = Math.Max(mhz, double.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture));
        }
        catch (IOException) { }
        if (mhz == 0) mhz = 3000;
        return threads * 64 * mhz / 1000.0;
    }
}
