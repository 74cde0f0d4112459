using System.Runtime.InteropServices;

namespace Derain.Data.Tests.Infrastructure;

/// <summary>
/// CPU time consumed by the calling thread (Linux CLOCK_THREAD_CPUTIME_ID). Speed checks use it instead of wall
/// time because the test machine's two cores are shared: other processes stretch wall time, not this.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static double Milliseconds()
    {
        if (ClockGetTime(ClockThreadCpuTime, out var t) != 0) throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    /// <summary>The least CPU time of <paramref name="runs"/> calls (after one warm-up call).</summary>
    public static double Best(Action action, int runs = 5)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            double start = Milliseconds();
            action();
            best = Math.Min(best, Milliseconds() - start);
        }
        return best;
    }
}
