using System.Globalization;

namespace Derain.Pipelines.Training.Plotting;

/// <summary>One axis tick: its value, whether it gets a label, and the label.</summary>
public readonly record struct Tick(double Value, bool Major, string Label);

/// <summary>
/// A linear or base-10 logarithmic axis over [<see cref="Min"/>, <see cref="Max"/>] mapped onto a pixel span, with
/// ticks: linear axes step by 1, 2 or 5 × 10ⁿ (about <c>target</c> ticks); log axes span whole decades, label each
/// decade (and 2 and 5 when there are at most two decades) and mark 2…9 with short unlabelled ticks.
/// </summary>
public sealed class Axis
{
    private Axis(double min, double max, bool log, IReadOnlyList<Tick> ticks)
    {
        Min = min;
        Max = max;
        IsLog = log;
        Ticks = ticks;
    }

    public double Min { get; }

    public double Max { get; }

    public bool IsLog { get; }

    public IReadOnlyList<Tick> Ticks { get; }

    /// <summary>Where <paramref name="value"/> falls between pixel <paramref name="from"/> (at Min) and <paramref name="to"/> (at Max).</summary>
    public double Map(double value, double from, double to)
    {
        double t = IsLog ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min)) : (value - Min) / (Max - Min);
        return from + t * (to - from);
    }

    /// <summary>A linear axis covering [lo, hi] (widened when they are equal) with round ticks.</summary>
    public static Axis Linear(double lo, double hi, int target = 6, Func<double, string>? format = null)
    {
        if (!(hi > lo))
        {
            double pad = Math.Abs(lo) > 0 ? Math.Abs(lo) * 0.05 : 1;
            lo -= pad;
            hi += pad;
        }
        double step = NiceStep((hi - lo) / target);
        double min = Math.Floor(lo / step) * step, max = Math.Ceiling(hi / step) * step;
        format ??= v => FormatLinear(v, step);
        var ticks = new List<Tick>();
        for (long k = (long)Math.Round(min / step); k <= (long)Math.Round(max / step); k++)
        {
            double v = k * step;
            ticks.Add(new Tick(v, true, format(v)));
        }
        return new Axis(min, max, false, ticks);
    }

    /// <summary>A log axis over the whole decades around [lo, hi] (both positive).</summary>
    public static Axis Log(double lo, double hi)
    {
        if (!(lo > 0) || !(hi > 0)) throw new ArgumentOutOfRangeException(nameof(lo), "A log axis needs positive values.");
        int first = (int)Math.Floor(Math.Log10(lo)), last = (int)Math.Ceiling(Math.Log10(hi));
        if (last == first) last++;
        bool dense = last - first <= 2;
        var ticks = new List<Tick>();
        for (int d = first; d <= last; d++)
        {
            double decade = Math.Pow(10, d);
            ticks.Add(new Tick(decade, true, $"1e{d}"));
            if (d == last) break;
            for (int m = 2; m <= 9; m++)
            {
                bool labelled = dense && m is 2 or 5;
                ticks.Add(new Tick(m * decade, labelled, labelled ? $"{m}e{d}" : ""));
            }
        }
        return new Axis(Math.Pow(10, first), Math.Pow(10, last), true, ticks);
    }

    /// <summary>1, 2 or 5 × 10ⁿ, the smallest not below <paramref name="raw"/>.</summary>
    internal static double NiceStep(double raw)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (double m in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
        return 10 * magnitude;
    }

    /// <summary>Iteration counts: 20000 → "20k"; otherwise as few decimals as the step needs.</summary>
    public static string FormatIterations(double v)
    {
        if (Math.Abs(v) >= 10000 && v % 1000 == 0) return (v / 1000).ToString("0", CultureInfo.InvariantCulture) + "k";
        return v.ToString("0.##", CultureInfo.InvariantCulture);
    }

    private static string FormatLinear(double v, double step)
    {
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
