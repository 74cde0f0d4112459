using System.Numerics;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Lanes for routing a max-reduction's gradient: an element "matches" its output when it equals the maximum,
/// or when both are NaN (a NaN maximum came from the NaN elements, so they receive its gradient).
/// </summary>
internal static class MaxMatch
{
    public static bool Scalar<T>(T x, T m) where T : unmanaged, IFloatingPointIeee754<T> => x == m || (T.IsNaN(x) && T.IsNaN(m));

    public static Vector256<T> Mask<T>(Vector256<T> x, Vector256<T> m) where T : unmanaged, IFloatingPointIeee754<T>
        => Vector256.Equals(x, m) | (~Vector256.Equals(x, x) & ~Vector256.Equals(m, m));

    public static Vector512<T> Mask<T>(Vector512<T> x, Vector512<T> m) where T : unmanaged, IFloatingPointIeee754<T>
        => Vector512.Equals(x, m) | (~Vector512.Equals(x, x) & ~Vector512.Equals(m, m));
}

/// <summary>1 where x matches the scalar maximum m, else 0 (summed to count ties).</summary>
internal readonly struct MatchCountLane<T>(T max) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = max;
    public T Apply(T x, T unused) => MaxMatch.Scalar(x, _m) ? T.One : T.Zero;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> unused) => Vector256.ConditionalSelect(MaxMatch.Mask(x, Vector256.Create(_m)), Vector256<T>.One, Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> unused) => Vector512.ConditionalSelect(MaxMatch.Mask(x, Vector512.Create(_m)), Vector512<T>.One, Vector512<T>.Zero);
}

/// <summary>v where x matches the scalar maximum m, else 0.</summary>
internal readonly struct MatchFillLane<T>(T max, T value) : ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = max, _v = value;
    public T Apply(T x) => MaxMatch.Scalar(x, _m) ? _v : T.Zero;
    public Vector256<T> Apply(Vector256<T> x) => Vector256.ConditionalSelect(MaxMatch.Mask(x, Vector256.Create(_m)), Vector256.Create(_v), Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x) => Vector512.ConditionalSelect(MaxMatch.Mask(x, Vector512.Create(_m)), Vector512.Create(_v), Vector512<T>.Zero);
}

/// <summary>acc + (x matches m ? 1 : 0), element-wise against a row of maxima.</summary>
internal readonly struct MatchAccumulateLane<T> : ILane3<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T x, T m, T acc) => MaxMatch.Scalar(x, m) ? acc + T.One : acc;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> m, Vector256<T> acc) => acc + Vector256.ConditionalSelect(MaxMatch.Mask(x, m), Vector256<T>.One, Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> m, Vector512<T> acc) => acc + Vector512.ConditionalSelect(MaxMatch.Mask(x, m), Vector512<T>.One, Vector512<T>.Zero);
}

/// <summary>x matches m ? v : 0, element-wise against rows of maxima and values.</summary>
internal readonly struct MatchSelectLane<T> : ILane3<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T x, T m, T v) => MaxMatch.Scalar(x, m) ? v : T.Zero;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> m, Vector256<T> v) => Vector256.ConditionalSelect(MaxMatch.Mask(x, m), v, Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> m, Vector512<T> v) => Vector512.ConditionalSelect(MaxMatch.Mask(x, m), v, Vector512<T>.Zero);
}
