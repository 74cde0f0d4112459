using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The corners of every output pixel of one grid_sample image, as planes (structure of arrays) so that 8
/// pixels' indices, weights and inside flags load as vectors for gathers. Corner i (00, 01, 10, 11) of pixel p
/// sits at [i·Count + p]; weights of outside corners are 0 and their indices are never read. The memory is a
/// pinned per-thread buffer reused across calls (tables are built by the calling thread; workers only read).
/// </summary>
internal readonly unsafe struct GridTable<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static byte[]? _buffer;

    public readonly int Count;
    public readonly int* Index, Inside;
    public readonly T* Weight, Ly, Lx, MultX, MultY;

    private GridTable(int count, byte* b)
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
    public static GridTable<T> Rent(int count)
    {
        int bytes = 5 * Align(count * sizeof(int)) + 8 * Align(count * sizeof(T)) + 64;
        if (_buffer is null || _buffer.Length < bytes) _buffer = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        p = (byte*)(((nint)p + 63) & ~(nint)63);
        return new GridTable<T>(count, p);
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
