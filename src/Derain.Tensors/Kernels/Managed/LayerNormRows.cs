using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The layer-norm backward pass over one row in two fused sweeps (the row stays in L1 between them):
/// first the two sums Σ ĝ and Σ ĝ·(x − mean) with ĝ = g·w, then dx, and the row's contributions to the
/// weight and bias gradients, in one loop. The weight may be absent (w = 1).
/// </summary>
internal static class LayerNormRows
{
    /// <summary>(Σ g·w, Σ g·w·(x − mean)), accumulated per <see cref="LaneMaps.SumBlock"/> block in double.</summary>
    public static (double, double) GradientSums<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, T mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w.IsEmpty) return LaneMaps.SumAndDotCentered(g, x, mean);
        double s1 = 0, s2 = 0;
        for (int start = 0; start < g.Length; start += LaneMaps.SumBlock)
        {
            int len = Math.Min(LaneMaps.SumBlock, g.Length - start);
            var (a, b) = GradientSumsBlock(g.Slice(start, len), x.Slice(start, len), w.Slice(start, len), mean);
            s1 += double.CreateTruncating(a);
            s2 += double.CreateTruncating(b);
        }
        return (s1, s2);
    }

    private static (T, T) GradientSumsBlock<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, T mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = g.Length, i = 0;
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T wr = ref MemoryMarshal.GetReference(w);
        T s1 = T.Zero, s2 = T.Zero;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            // Two accumulator pairs so consecutive vectors do not wait on each other's adds.
            int c = Vector512<T>.Count;
            var m = Vector512.Create(mean);
            Vector512<T> a1 = Vector512<T>.Zero, a2 = a1, b1 = a1, b2 = a1;
            for (; i <= n - 2 * c; i += 2 * c)
            {
                var g0 = Vector512.LoadUnsafe(ref gr, (nuint)i) * Vector512.LoadUnsafe(ref wr, (nuint)i);
                var g1 = Vector512.LoadUnsafe(ref gr, (nuint)(i + c)) * Vector512.LoadUnsafe(ref wr, (nuint)(i + c));
                a1 += g0;
                b1 += g1;
                a2 += g0 * (Vector512.LoadUnsafe(ref xr, (nuint)i) - m);
                b2 += g1 * (Vector512.LoadUnsafe(ref xr, (nuint)(i + c)) - m);
            }
            for (; i <= n - c; i += c)
            {
                var gh = Vector512.LoadUnsafe(ref gr, (nuint)i) * Vector512.LoadUnsafe(ref wr, (nuint)i);
                a1 += gh;
                a2 += gh * (Vector512.LoadUnsafe(ref xr, (nuint)i) - m);
            }
            s1 += Vector512.Sum(a1 + b1);
            s2 += Vector512.Sum(a2 + b2);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            var m = Vector256.Create(mean);
            Vector256<T> a1 = Vector256<T>.Zero, a2 = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var gh = Vector256.LoadUnsafe(ref gr, (nuint)i) * Vector256.LoadUnsafe(ref wr, (nuint)i);
                a1 += gh;
                a2 += gh * (Vector256.LoadUnsafe(ref xr, (nuint)i) - m);
            }
            s1 += Vector256.Sum(a1);
            s2 += Vector256.Sum(a2);
        }
        for (; i < n; i++)
        {
            T gh = Unsafe.Add(ref gr, i) * Unsafe.Add(ref wr, i);
            s1 += gh;
            s2 += gh * (Unsafe.Add(ref xr, i) - mean);
        }
        return (s1, s2);
    }

    /// <summary>
    /// dx = rstd·(g·w − c1 − (x − mean)·c2) when <paramref name="dx"/> is not empty; dw += g·x̂ and db += g
    /// when those accumulators are not empty. <paramref name="w"/> empty means w = 1.
    /// </summary>
    public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, T mean, T rstd, T c1, T c2,
        Span<T> dx, Span<T> dw, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool hasW = !w.IsEmpty, wantDx = !dx.IsEmpty, wantDw = !dw.IsEmpty, wantDb = !db.IsEmpty;
        int n = g.Length, i = 0;
        ref T gr = ref MemoryMarshal.GetReference(g);
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T wr = ref MemoryMarshal.GetReference(w);
        ref T dxr = ref MemoryMarshal.GetReference(dx);
        ref T dwr = ref MemoryMarshal.GetReference(dw);
        ref T dbr = ref MemoryMarshal.GetReference(db);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<T> m = Vector512.Create(mean), r = Vector512.Create(rstd), k1 = Vector512.Create(c1), k2 = Vector512.Create(c2);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var gv = Vector512.LoadUnsafe(ref gr, (nuint)i);
                var xc = Vector512.LoadUnsafe(ref xr, (nuint)i) - m;
                if (wantDx)
                {
                    var gh = hasW ? gv * Vector512.LoadUnsafe(ref wr, (nuint)i) : gv;
                    (r * (gh - k1 - xc * k2)).StoreUnsafe(ref dxr, (nuint)i);
                }
                if (wantDw) (Vector512.LoadUnsafe(ref dwr, (nuint)i) + gv * (xc * r)).StoreUnsafe(ref dwr, (nuint)i);
                if (wantDb) (Vector512.LoadUnsafe(ref dbr, (nuint)i) + gv).StoreUnsafe(ref dbr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<T> m = Vector256.Create(mean), r = Vector256.Create(rstd), k1 = Vector256.Create(c1), k2 = Vector256.Create(c2);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var xc = Vector256.LoadUnsafe(ref xr, (nuint)i) - m;
                if (wantDx)
                {
                    var gh = hasW ? gv * Vector256.LoadUnsafe(ref wr, (nuint)i) : gv;
                    (r * (gh - k1 - xc * k2)).StoreUnsafe(ref dxr, (nuint)i);
                }
                if (wantDw) (Vector256.LoadUnsafe(ref dwr, (nuint)i) + gv * (xc * r)).StoreUnsafe(ref dwr, (nuint)i);
                if (wantDb) (Vector256.LoadUnsafe(ref dbr, (nuint)i) + gv).StoreUnsafe(ref dbr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T gv = Unsafe.Add(ref gr, i), xc = Unsafe.Add(ref xr, i) - mean;
            if (wantDx)
            {
                T gh = hasW ? gv * Unsafe.Add(ref wr, i) : gv;
                Unsafe.Add(ref dxr, i) = rstd * (gh - c1 - xc * c2);
            }
            if (wantDw) Unsafe.Add(ref dwr, i) += gv * (xc * rstd);
            if (wantDb) Unsafe.Add(ref dbr, i) += gv;
        }
    }
}
