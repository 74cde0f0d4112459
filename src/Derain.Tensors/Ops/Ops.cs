namespace Derain.Tensors;

/// <summary>
/// Differentiable tensor operations (torch and torch.nn.functional). Each op group lives in its own file
/// (Ops.Elementwise.cs, Ops.Conv.cs, …) with its shape checks, forward kernel call and backward node together.
/// Shape errors name the op, the shapes received and what was expected.
/// </summary>
public static partial class Ops
{
    /// <summary>Throws an ArgumentException naming the op, in one consistent format.</summary>
    internal static Exception ShapeError(string op, string message) => new ArgumentException($"{op}: {message}");

    /// <summary>Checks both tensors have the same dtype.</summary>
    internal static void CheckSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes differ ({a.DType} and {b.DType}); convert one with To().");
    }

    /// <summary>Checks the rank of <paramref name="t"/>.</summary>
    internal static void CheckRank(string op, string what, Tensor t, params int[] allowed)
    {
        if (Array.IndexOf(allowed, t.Rank) < 0)
            throw ShapeError(op, $"{what} must have {string.Join(" or ", allowed)} dimensions; got shape {t.Shape}.");
    }

    /// <summary>The elements of an optional tensor, or an empty span when it is absent (e.g. no bias).</summary>
    internal static Span<T> SpanOrEmpty<T>(Tensor? t) => t is null ? [] : t.Span<T>();
}
