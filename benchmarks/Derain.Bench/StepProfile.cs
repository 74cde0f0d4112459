using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Bench;

/// <summary>
/// The <c>--profile N</c> mode of the training rows (<c>./bench eevrsr</c>, <c>./bench mgid</c>): two warm-up steps,
/// then N steps with <see cref="OpProfiler"/> on, the wall and process CPU time per step and the per-op table.
/// DERAIN_PROFILE=cpu makes the table thread CPU time (use --threads 1).
/// </summary>
public static class StepProfile
{
    public static int Run(Action step, int steps)
    {
        step();
        step();
        OpProfiler.UseThreadCpuTime = string.Equals(Environment.GetEnvironmentVariable("DERAIN_PROFILE"), "cpu", StringComparison.OrdinalIgnoreCase);
        OpProfiler.IsEnabled = true;
        OpProfiler.Reset();
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) step();
        watch.Stop();
        OpProfiler.IsEnabled = false;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / steps;
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {KernelBackend.Threads} threads; {steps} step(s): {watch.Elapsed.TotalMilliseconds / steps:F1} ms wall, {cpuMs:F1} ms process CPU per step");
        OpProfiler.Report(Console.Out, steps);
        OpProfiler.Reset(); // nothing left for the exit-time report DERAIN_PROFILE would add
        return 0;
    }
}
