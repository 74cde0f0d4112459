using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Derain.Tensors.Autograd;

/// <summary>
/// Opt-in per-op timing of training steps (in the spirit of torch.autograd.profiler, much coarser). Off unless
/// DERAIN_PROFILE is set (or <see cref="IsEnabled"/> is set in code); when off, every hook is one branch.
/// <para>
/// Forward: ops are not timed one by one (they have no common entry point); instead each recorded op
/// (<see cref="GradNode.Record"/>) is charged the time since the previous profiler event on its thread, which in a
/// training step is the op itself plus any unrecorded work just before it (views, ops on inputs without gradients).
/// Backward: the engine times each node's <c>Backward</c> and, separately, gradient accumulation. Other work is
/// charged to named sections with <see cref="Mark"/> (time since the previous event) or <see cref="Measure"/>.
/// </para>
/// <para>
/// DERAIN_PROFILE=1 measures wall time; DERAIN_PROFILE=cpu measures the calling thread's CPU time, which is
/// insensitive to other processes on a busy machine but only meaningful at one thread (DERAIN_THREADS=1),
/// where every kernel runs on the caller. With the environment variable set, the table is printed to standard
/// error when the process exits; code can call <see cref="Report"/> instead.
/// </para>
/// </summary>
public static partial class OpProfiler
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal);
    [ThreadStatic] private static long _last;

    static OpProfiler()
    {
        string? setting = Environment.GetEnvironmentVariable("DERAIN_PROFILE");
        if (string.IsNullOrEmpty(setting) || setting == "0") return;
        IsEnabled = true;
        UseThreadCpuTime = string.Equals(setting, "cpu", StringComparison.OrdinalIgnoreCase);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Report(Console.Error, steps: 1);
    }

    /// <summary>Whether the hooks record anything.</summary>
    public static bool IsEnabled { get; set; }

    /// <summary>Measure the calling thread's CPU time instead of wall time (see the class remarks).</summary>
    public static bool UseThreadCpuTime { get; set; }

    /// <summary>Forgets everything recorded and restarts the clock of the calling thread.</summary>
    public static void Reset()
    {
        lock (Gate) Entries.Clear();
        _last = Now();
    }

    /// <summary>Charges the time since the previous event on this thread to section <paramref name="name"/>.</summary>
    public static void Mark(string name)
    {
        if (!IsEnabled) return;
        long now = Now();
        if (_last != 0) Add(name, Phase.Section, now - _last);
        _last = now;
    }

    /// <summary>Times the enclosed work as section <paramref name="name"/> (use with <c>using</c>); first charges the gap before it to "(other)".</summary>
    public static Section Measure(string name)
    {
        if (!IsEnabled) return default;
        Mark("(other)");
        return new Section(name);
    }

    /// <summary>The handle of <see cref="Measure"/>.</summary>
    public readonly struct Section : IDisposable
    {
        private readonly string? _name;
        internal Section(string name) => _name = name;
        public void Dispose()
        {
            if (_name is not null) Mark(_name);
        }
    }

    internal enum Phase { Forward, Backward, Section }

    /// <summary>A recorded op: charges the time since the previous event to its forward.</summary>
    internal static void Forward(GradNode node)
    {
        long now = Now();
        if (_last != 0) Add(ForwardName(node.ProfileKey), Phase.Forward, now - _last);
        _last = now;
    }

    /// <summary>Starts a timed backward interval; pass the result to <see cref="EndBackward"/>.</summary>
    internal static long BeginBackward()
    {
        long now = Now();
        if (_last != 0) Add("(other)", Phase.Section, now - _last);
        _last = now;
        return now;
    }

    /// <summary>Charges the time since <see cref="BeginBackward"/> to <paramref name="key"/>'s backward.</summary>
    internal static void EndBackward(string key, long start)
    {
        long now = Now();
        Add(ForwardName(key), Phase.Backward, now - start);
        _last = now;
    }

    private static string ForwardName(string key) =>
        key.Replace("Backward", "", StringComparison.Ordinal);

    private static void Add(string name, Phase phase, long ticks)
    {
        lock (Gate)
        {
            if (!Entries.TryGetValue(name, out var e)) Entries[name] = e = new Entry();
            switch (phase)
            {
                case Phase.Forward: e.ForwardTicks += ticks; e.ForwardCalls++; break;
                case Phase.Backward: e.BackwardTicks += ticks; e.BackwardCalls++; break;
                default: e.SectionTicks += ticks; e.SectionCalls++; break;
            }
        }
    }

    /// <summary>
    /// Writes the table (ms and calls per step, dividing by <paramref name="steps"/>), the largest totals first,
    /// with per-phase sums at the end.
    /// </summary>
    public static void Report(TextWriter output, int steps)
    {
        List<(string Name, Entry E)> rows;
        lock (Gate) rows = Entries.Select(kv => (kv.Key, kv.Value.Copy())).ToList();
        if (rows.Count == 0) return;
        double scale = 1000.0 / TicksPerSecond / Math.Max(steps, 1);
        double total = rows.Sum(r => r.E.ForwardTicks + r.E.BackwardTicks + r.E.SectionTicks) * scale;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(inv, "derain op profile ({0}, per step over {1} step(s)): forward = time since the previous recorded op",
            UseThreadCpuTime ? "thread CPU time" : "wall time", steps));
        output.WriteLine(string.Format(inv, "{0,-52} {1,6} {2,9} {3,6} {4,9} {5,9} {6,6}", "op", "fwd n", "fwd ms", "bwd n", "bwd ms", "total ms", "%"));
        foreach (var (name, e) in rows.OrderByDescending(r => r.E.ForwardTicks + r.E.BackwardTicks + r.E.SectionTicks))
        {
            double t = (e.ForwardTicks + e.BackwardTicks + e.SectionTicks) * scale;
            double perStep = 1.0 / Math.Max(steps, 1);
            string label = e.SectionCalls > 0 && e.ForwardCalls + e.BackwardCalls == 0 ? $"[{name}]" : name;
            output.WriteLine(string.Format(inv, "{0,-52} {1,6:0.#} {2,9:F2} {3,6:0.#} {4,9:F2} {5,9:F2} {6,6:F1}",
                label.Length > 52 ? label[..52] : label, (e.ForwardCalls + e.SectionCalls) * perStep, (e.ForwardTicks + e.SectionTicks) * scale,
                e.BackwardCalls * perStep, e.BackwardTicks * scale, t, 100 * t / total));
        }
        output.WriteLine(string.Format(inv, "{0,-52} {1,6} {2,9:F2} {3,6} {4,9:F2} {5,9:F2}", "sum: forward | backward | total", "",
            rows.Sum(r => r.E.ForwardTicks) * scale, "", rows.Sum(r => r.E.BackwardTicks) * scale, total));
    }

    private sealed class Entry
    {
        public long ForwardTicks, BackwardTicks, SectionTicks;
        public long ForwardCalls, BackwardCalls, SectionCalls;
        public Entry Copy() => (Entry)MemberwiseClone();
    }

    private static long TicksPerSecond => UseThreadCpuTime ? 1_000_000_000 : Stopwatch.Frequency;

    private static long Now() => UseThreadCpuTime ? ThreadCpuNanoseconds() : Stopwatch.GetTimestamp();

    /// <summary>CPU time the calling thread has used, in nanoseconds.</summary>
    internal static long ThreadCpuNanoseconds()
    {
        ThreadCpuClock.Get(out var ts);
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    /// <summary>clock_gettime(CLOCK_THREAD_CPUTIME_ID) from libc (Linux; the only platform Derain targets).</summary>
    private static partial class ThreadCpuClock
    {
        private const int ClockThreadCpuTimeId = 3;

        [StructLayout(LayoutKind.Sequential)]
        internal struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [LibraryImport("libc", EntryPoint = "clock_gettime")]
        private static partial int ClockGetTime(int clock, out TimeSpec ts);

        public static void Get(out TimeSpec ts)
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out ts) != 0) ts = default;
        }
    }
}
