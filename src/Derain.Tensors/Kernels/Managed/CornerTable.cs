using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The corners of a run of sample positions (<see cref="Corners{T}"/> as planes, a structure of arrays): every
/// output pixel of a grid_sample image, or one output row of one deform-conv kernel point. Corner i (00, 01, 10,
/// 11) of position p sits at [i·Count + p], so 8 positions' indices, weights and inside flags load as vectors
/// (for gathers, and for the vectorised construction below). Weights of outside corners are 0 and their
/// indices are never read. The memory is a pinned per-thread buffer, valid until the thread's next Rent.
/// </summary>
internal readonly unsafe struct CornerTable<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static byte[]? _buffer;

    public readonly int Count;
    public readonly int* Index, Inside;
    public readonly T* Weight, Ly, Lx, MultX, MultY;

    private CornerTable(int count, byte* b)
    {
        Count = count;
        int ints = Align(count * sizeof(int)), ts = Align(count * sizeof(T));
        Index = (int*)b; b += 4 * ints;
        Inside = (int*)b; b += ints;
        Weight = (T*)b; b += 4 * ts;
        Ly = (T*)b; b += ts;
        Lx = (T*)b; b += ts;
        MultX = (T*)b; b += ts;
        MultY = (T*)b;
    }

    /// <summary>A table for <paramref name="count"/> pixels over this thread's buffer (contents unspecified).</summary>
    public static CornerTable<T> Rent(int count)
    {
        int bytes = 5 * Align(count * sizeof(int)) + 8 * Align(count * sizeof(T)) + 64;
        if (_buffer is null || _buffer.Length < bytes) _buffer = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        p = (byte*)(((nint)p + 63) & ~(nint)63);
        return new CornerTable<T>(count, p);
    }

    /// <summary>Stores the corners (and grid multipliers) of pixel p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int p, in Corners<T> c, T multX, T multY)
    {
        int n = Count;
        Index[p] = c.P00; Index[n + p] = c.P01; Index[2 * n + p] = c.P10; Index[3 * n + p] = c.P11;
        Weight[p] = c.W00; Weight[n + p] = c.W01; Weight[2 * n + p] = c.W10; Weight[3 * n + p] = c.W11;
        Inside[p] = c.Inside;
        Ly[p] = c.Ly;
        Lx[p] = c.Lx;
        MultX[p] = multX;
        MultY[p] = multY;
    }

    /// <summary>The corners of position p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Corners<T> Get(int p)
    {
        int n = Count;
        return new Corners<T>
        {
            P00 = Index[p], P01 = Index[n + p], P10 = Index[2 * n + p], P11 = Index[3 * n + p],
            W00 = Weight[p], W01 = Weight[n + p], W10 = Weight[2 * n + p], W11 = Weight[3 * n + p],
            Ly = Ly[p], Lx = Lx[p], Inside = Inside[p],
        };
    }

    /// <summary>
    /// Fills positions p &lt; Count with the bilinear corners of (y0 + offY[p], x0 + p·strideX + offX[p]) in an
    /// h×w image: one deform-conv kernel point along an output row. Eight positions at a time with AVX-512 in
    /// double (the same arithmetic as <see cref="Corners{T}.Bilinear"/>, so both paths agree bit for bit), the
    /// rest one by one.
    /// </summary>
    public void FillRow(T* offY, T* offX, double y0, double x0, int strideX, int h, int w)
    {
        int p = 0, n = Count;
        if (Avx512F.IsSupported)
        {
            Vector512<double> zero = Vector512<double>.Zero, one = Vector512<double>.One, minusOne = -one;
            Vector512<double> hLast = Vector512.Create(h - 1.0), hLast2 = Vector512.Create(h - 2.0);
            Vector512<double> wLast = Vector512.Create(w - 1.0), wLast2 = Vector512.Create(w - 2.0), width = Vector512.Create((double)w);
            Vector512<double> step = Vector512.Create(0.0, 1, 2, 3, 4, 5, 6, 7) * strideX;
            for (; p + 8 <= n; p += 8)
            {
                var y = Vector512.Create(y0) + Load8(offY + p);
                var x = Vector512.Create(x0 + (double)p * strideX) + step + Load8(offX + p);
                Vector512<double> fy = Vector512.Floor(y), fx = Vector512.Floor(x);
                Vector512<double> ly = y - fy, lx = x - fx, hy = one - ly, hx = one - lx;
                // Comparisons are false for NaN, so such positions have no inside corner (zero padding).
                var top = Vector512.GreaterThanOrEqual(fy, zero) & Vector512.LessThanOrEqual(fy, hLast);
                var bottom = Vector512.GreaterThanOrEqual(fy, minusOne) & Vector512.LessThanOrEqual(fy, hLast2);
                var left = Vector512.GreaterThanOrEqual(fx, zero) & Vector512.LessThanOrEqual(fx, wLast);
                var right = Vector512.GreaterThanOrEqual(fx, minusOne) & Vector512.LessThanOrEqual(fx, wLast2);
                Vector512<double> m00 = top & left, m01 = top & right, m10 = bottom & left, m11 = bottom & right;
                var b = fy * width + fx;
                StoreIndex(Index + p, m00, b);
                StoreIndex(Index + n + p, m01, b + one);
                StoreIndex(Index + 2 * n + p, m10, b + width);
                StoreIndex(Index + 3 * n + p, m11, b + width + one);
                Store8(Weight + p, Vector512.ConditionalSelect(m00, hy * hx, zero));
                Store8(Weight + n + p, Vector512.ConditionalSelect(m01, hy * lx, zero));
                Store8(Weight + 2 * n + p, Vector512.ConditionalSelect(m10, ly * hx, zero));
                Store8(Weight + 3 * n + p, Vector512.ConditionalSelect(m11, ly * lx, zero));
                var inside = (m00 & one) + (m01 & Vector512.Create(2.0)) + (m10 & Vector512.Create(4.0)) + (m11 & Vector512.Create(8.0));
                Avx.Store(Inside + p, Avx512F.ConvertToVector256Int32(inside));
                Store8(Ly + p, ly);
                Store8(Lx + p, lx);
            }
        }
        for (; p < n; p++)
        {
            var c = Corners<T>.Bilinear(y0 + double.CreateTruncating(offY[p]), x0 + (double)p * strideX + double.CreateTruncating(offX[p]), h, w);
            Set(p, c, T.Zero, T.Zero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Load8(T* p)
    {
        if (typeof(T) == typeof(double)) return Vector512.Load((double*)p);
        var f = Vector256.Load((float*)p);
        return Vector512.Create(Vector256.WidenLower(f), Vector256.WidenUpper(f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(T* p, Vector512<double> v)
    {
        if (typeof(T) == typeof(double)) Vector512.Store(v, (double*)p);
        else Avx.Store((float*)p, Avx512F.ConvertToVector256Single(v));
    }

    /// <summary>Stores the pixel indices of the inside lanes (0 elsewhere, never read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreIndex(int* p, Vector512<double> inside, Vector512<double> index)
        => Avx.Store(p, Avx512F.ConvertToVector256Int32(Vector512.ConditionalSelect(inside, index, Vector512<double>.Zero)));

    /// <summary>The bilinear sample of plane <paramref name="src"/> at pixel p (outside corners are not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Sample(T* src, int p)
    {
        int n = Count, inside = Inside[p];
        if (inside == Corners<T>.All)
            return Weight[p] * src[Index[p]] + Weight[n + p] * src[Index[n + p]]
                + Weight[2 * n + p] * src[Index[2 * n + p]] + Weight[3 * n + p] * src[Index[3 * n + p]];
        T v = T.Zero;
        for (int i = 0; i < 4; i++)
            if ((inside & (1 << i)) != 0) v += Weight[i * n + p] * src[Index[i * n + p]];
        return v;
    }

    /// <summary>The adjoint of <see cref="Sample"/>: dst[corner] += weight·g at every inside corner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scatter(T* dst, int p, T g)
    {
        int n = Count, inside = Inside[p];
        for (int i = 0; i < 4; i++)
            if ((inside & (1 << i)) != 0) dst[Index[i * n + p]] += Weight[i * n + p] * g;
    }

    private static int Align(int bytes) => (bytes + 63) & ~63;
}
