using System.Globalization;

namespace Derain.Data.Video;

/// <summary>An exact frame rate as a reduced fraction (30000/1001 for NTSC's 29.97), as ffmpeg stores it.</summary>
public readonly record struct FrameRate
{
    public FrameRate(long numerator, long denominator = 1)
    {
        if (numerator <= 0 || denominator <= 0)
            throw new ArgumentException($"A frame rate needs a positive numerator and denominator, not {numerator}/{denominator}.");
        long g = Gcd(numerator, denominator);
        Numerator = numerator / g;
        Denominator = denominator / g;
    }

    public long Numerator { get; }

    public long Denominator { get; }

    /// <summary>Frames per second as a double (for display and arithmetic that need not be exact).</summary>
    public double PerSecond => (double)Numerator / Denominator;

    /// <summary>"30000/1001", the form ffmpeg's -framerate and -r accept.</summary>
    public override string ToString() => $"{Numerator}/{Denominator}";

    /// <summary>Parses "30000/1001", "25" or "29.97" (a decimal is made exact over a power of ten).</summary>
    public static FrameRate Parse(string text)
        => TryParse(text, out var rate) ? rate : throw new FormatException($"'{text}' is not a frame rate (e.g. 25, 29.97 or 30000/1001).");

    public static bool TryParse(string? text, out FrameRate rate)
    {
        rate = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('/');
        if (parts.Length == 2)
        {
            if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long n) ||
                !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long d) || n <= 0 || d <= 0)
                return false;
            rate = new FrameRate(n, d);
            return true;
        }
        if (parts.Length != 1 || !decimal.TryParse(parts[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
            return false;
        long den = 1;
        while (decimal.Truncate(value) != value && den < 1_000_000) { value *= 10; den *= 10; }
        if (value > long.MaxValue) return false;
        rate = new FrameRate((long)decimal.Truncate(value), den);
        return true;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
