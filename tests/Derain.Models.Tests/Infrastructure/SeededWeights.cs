using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Derain.Tensors;

namespace Derain.Models.Tests.Infrastructure;

/// <summary>Which tensors a <see cref="SeededRule"/> applies to by rank.</summary>
public enum SeededDims
{
    /// <summary>Any rank.</summary>
    Any,
    /// <summary>1-D tensors only.</summary>
    One,
    /// <summary>2-D or more.</summary>
    TwoOrMore,
}

/// <summary>
/// One row of a seeded-weights rule table (../shared/fixtures/mgid/README.md, ../shared/fixtures/vimpnet/README.md):
/// the values are uniform in [c − s, c + s), with s given directly or as a gain g, s = g / √fan, fan = numel / shape[0].
/// A <see cref="Skip"/> row leaves the tensor as constructed.
/// </summary>
public sealed record SeededRule(string Id, string Pattern, SeededDims Dims, double C, double? S = null, double? Gain = null, bool Skip = false)
{
    /// <summary>True when the whole name matches and the rank condition holds.</summary>
    public bool Matches(string name, int[] shape)
        => Regex.IsMatch(name, "^(?:" + Pattern + ")$") && Dims switch
        {
            SeededDims.One => shape.Length == 1,
            SeededDims.TwoOrMore => shape.Length >= 2,
            _ => true,
        };

    /// <summary>The half-width s for a tensor of <paramref name="shape"/>.</summary>
    public double HalfWidth(int[] shape)
    {
        if (S is double s) return s;
        long numel = shape.Aggregate(1L, (a, b) => a * b);
        long fan = numel / shape[0];
        return Gain!.Value / Math.Sqrt((double)fan);
    }
}

/// <summary>
/// The deterministic weight generator the shared fixtures were made with (their READMEs give the exact recipe):
/// element i of tensor <c>name</c> is c + s·(2u − 1) with u = splitmix64(FNV-1a-64(name) + i) &gt;&gt; 40 / 2²⁴, in IEEE
/// double, rounded once to float32. Unchecked uint64 arithmetic wraps as the recipe requires. Reusable for every
/// network whose fixture uses this recipe (MGID, ViMP-Net), each with its own rule table.
/// </summary>
public static class SeededWeights
{
    /// <summary>FNV-1a 64-bit of the UTF-8 bytes.</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 0x00000100000001B3UL;
        }
        return h;
    }

    /// <summary>The first output of SplitMix64 seeded with <paramref name="x"/>.</summary>
    public static ulong SplitMix64(ulong x)
    {
        ulong z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The <paramref name="count"/> values of tensor <paramref name="name"/> for centre c and half-width s.</summary>
    public static float[] Generate(string name, long count, double c, double s)
    {
        ulong h = Fnv1a64(name);
        var w = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u = (SplitMix64(h + (ulong)i) >> 40) / 16777216.0;
            w[i] = (float)(c + s * (2.0 * u - 1.0));
        }
        return w;
    }

    /// <summary>The first rule that matches, or an exception naming the tensor (the tables cover every tensor).</summary>
    public static SeededRule RuleFor(IReadOnlyList<SeededRule> rules, string name, int[] shape)
        => rules.FirstOrDefault(r => r.Matches(name, shape)) ?? throw new InvalidOperationException($"No seeded-weights rule matches {name} {string.Join("×", shape)}.");

    /// <summary>
    /// Generated tensors for every entry of <paramref name="state"/> except integer ones (<paramref name="isInteger"/>,
    /// e.g. num_batches_tracked, which the recipe skips) and those a skip rule names.
    /// </summary>
    public static Dictionary<string, Tensor> ForStateDict(IReadOnlyDictionary<string, Tensor> state, IReadOnlyList<SeededRule> rules, Func<string, bool> isInteger)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in state)
        {
            if (isInteger(name)) continue;
            int[] shape = t.Shape.ToArray();
            var rule = RuleFor(rules, name, shape);
            if (rule.Skip) continue;
            result[name] = Tensor.FromArray(Generate(name, t.NumElements, rule.C, rule.HalfWidth(shape)), shape);
        }
        return result;
    }

    /// <summary>SHA-256 (lower-case hex) of float32 little-endian bytes, as the manifests record it.</summary>
    public static string Sha256(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), values[i]);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The manifests hash little-endian floats.");
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
