using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Fused exp/tanh loops that TensorPrimitives does not offer (or not accurately enough). The generic entry
/// points dispatch on float/double; the JIT removes the branch per instantiation.
/// </summary>
internal static class Transcendentals
{
    /// <summary>y = exp(x − shift); returns Σ y (accumulated blockwise, block sums in double).</summary>
    public static T ExpShiftedSum<T>(ReadOnlySpan<T> x, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            double s = ExpShiftedSum(MemoryMarshal.Cast<T, float>(x), Unsafe.BitCast<T, float>(shift), MemoryMarshal.Cast<T, float>(y));
            return T.CreateTruncating(s);
        }
        if (typeof(T) == typeof(double))
        {
            double s = ExpShiftedSum(MemoryMarshal.Cast<T, double>(x), Unsafe.BitCast<T, double>(shift), MemoryMarshal.Cast<T, double>(y));
            return T.CreateTruncating(s);
        }
        throw new NotSupportedException($"ExpShiftedSum: element type {typeof(T).Name} is not supported.");
    }

    private static double ExpShiftedSum(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        int n = x.Length;
        if (y.Length < n) throw new ArgumentException("ExpShiftedSum: output shorter than input.");
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        double total = 0;
        for (int start = 0; start < n; start += LaneMaps.SumBlock)
        {
            int end = Math.Min(n, start + LaneMaps.SumBlock), i = start;
            float s = 0;
            if (Vector512.IsHardwareAccelerated && end - i >= Vector512<float>.Count)
            {
                var sv = Vector512.Create(shift);
                var acc = Vector512<float>.Zero;
                for (; i <= end - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    var e = Vector512.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - sv);
                    e.StoreUnsafe(ref yr, (nuint)i);
                    acc += e;
                }
                s += Vector512.Sum(acc);
            }
            if (Vector256.IsHardwareAccelerated && end - i >= Vector256<float>.Count)
            {
                var sv = Vector256.Create(shift);
                var acc = Vector256<float>.Zero;
                for (; i <= end - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var e = Vector256.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - sv);
                    e.StoreUnsafe(ref yr, (nuint)i);
                    acc += e;
                }
                s += Vector256.Sum(acc);
            }
            for (; i < end; i++)
            {
                float e = MathF.Exp(Unsafe.Add(ref xr, i) - shift);
                Unsafe.Add(ref yr, i) = e;
                s += e;
            }
            total += s;
        }
        return total;
    }

    private static double ExpShiftedSum(ReadOnlySpan<double> x, double shift, Span<double> y)
    {
        int n = x.Length;
        if (y.Length < n) throw new ArgumentException("ExpShiftedSum: output shorter than input.");
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double yr = ref MemoryMarshal.GetReference(y);
        double s = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<double>.Count)
        {
            var sv = Vector512.Create(shift);
            var acc = Vector512<double>.Zero;
            for (; i <= n - Vector512<double>.Count; i += Vector512<double>.Count)
            {
                var e = Vector512.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - sv);
                e.StoreUnsafe(ref yr, (nuint)i);
                acc += e;
            }
            s += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<double>.Count)
        {
            var sv = Vector256.Create(shift);
            var acc = Vector256<double>.Zero;
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - sv);
                e.StoreUnsafe(ref yr, (nuint)i);
                acc += e;
            }
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            double e = Math.Exp(Unsafe.Add(ref xr, i) - shift);
            Unsafe.Add(ref yr, i) = e;
            s += e;
        }
        return s;
    }

    /// <summary>
    /// y = tanh(x). TensorPrimitives.Tanh loses relative accuracy near zero (tanh(0) is not 0 in float32),
    /// so float32 is evaluated in double lanes as sign(x)·(1 − 2/(e^{2|x|}+1)), which is exact to float
    /// rounding everywhere and saturates without overflow; |x| &lt; 2⁻¹² returns x (error below x²/3).
    /// Float64 (the checking path) uses Math.Tanh element by element.
    /// </summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) { Tanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y)); return; }
        if (typeof(T) == typeof(double))
        {
            var xd = MemoryMarshal.Cast<T, double>(x);
            var yd = MemoryMarshal.Cast<T, double>(y);
            for (int i = 0; i < yd.Length; i++) yd[i] = Math.Tanh(xd[i]);
            return;
        }
        throw new NotSupportedException($"Tanh: element type {typeof(T).Name} is not supported.");
    }

    private const double TanhLinearBelow = 1.0 / 4096;

    private static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = y.Length;
        if (x.Length < n) throw new ArgumentException("Tanh: input shorter than output.");
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)i));
                Vector512.Narrow(TanhWide(lo), TanhWide(hi)).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref xr, (nuint)i));
                Vector256.Narrow(TanhWide(lo), TanhWide(hi)).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = (float)Math.Tanh(Unsafe.Add(ref xr, i));
    }

    private static Vector512<double> TanhWide(Vector512<double> x)
    {
        var ax = Vector512.Abs(x);
        var e = Vector512.Exp(ax + ax);
        var t = Vector512<double>.One - Vector512.Create(2.0) / (e + Vector512<double>.One);
        t = Vector512.CopySign(t, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(TanhLinearBelow)), x, t);
    }

    private static Vector256<double> TanhWide(Vector256<double> x)
    {
        var ax = Vector256.Abs(x);
        var e = Vector256.Exp(ax + ax);
        var t = Vector256<double>.One - Vector256.Create(2.0) / (e + Vector256<double>.One);
        t = Vector256.CopySign(t, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(TanhLinearBelow)), x, t);
    }
}
