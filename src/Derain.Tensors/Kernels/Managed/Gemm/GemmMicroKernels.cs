using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed.Gemm;

/// <summary>
/// The innermost GEMM step: an MR×NR block of C accumulated over kc steps from packed operands (see
/// <see cref="GemmPacking"/>): <c>a</c> holds kc columns of MR values, <c>b</c> kc rows of NR values. The block
/// is written, unscaled, to <c>tile</c> (MR rows of NR); the driver adds it into C. Every implementation
/// computes each element as the same chain of fused multiply-adds in k order starting from zero, so all of
/// them give bit-identical results and the scalar one is a faithful oracle for the vector ones.
/// </summary>
internal interface IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    static abstract unsafe void Run(int kc, T* a, T* b, T* tile);
}

/// <summary>Fused multiply-add on generic vectors; the type tests fold away when the JIT specialises T.</summary>
internal static class VectorFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }
}

/// <summary>
/// 8 rows × 2 Vector512 columns (8×32 floats, 8×16 doubles): 16 accumulators plus two B vectors and one
/// broadcast A value fit the 32 AVX-512 registers without spills, and 16 independent FMA chains cover the
/// FMA latency on two pipes.
/// </summary>
internal readonly struct MicroKernel512<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 8;
    public static int NR => 2 * Vector512<T>.Count;

    public static unsafe void Run(int kc, T* a, T* b, T* tile)
    {
        int w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            var av = Vector512.Create(a[0]); c00 = VectorFma.Fma(av, b0, c00); c01 = VectorFma.Fma(av, b1, c01);
            av = Vector512.Create(a[1]); c10 = VectorFma.Fma(av, b0, c10); c11 = VectorFma.Fma(av, b1, c11);
            av = Vector512.Create(a[2]); c20 = VectorFma.Fma(av, b0, c20); c21 = VectorFma.Fma(av, b1, c21);
            av = Vector512.Create(a[3]); c30 = VectorFma.Fma(av, b0, c30); c31 = VectorFma.Fma(av, b1, c31);
            av = Vector512.Create(a[4]); c40 = VectorFma.Fma(av, b0, c40); c41 = VectorFma.Fma(av, b1, c41);
            av = Vector512.Create(a[5]); c50 = VectorFma.Fma(av, b0, c50); c51 = VectorFma.Fma(av, b1, c51);
            av = Vector512.Create(a[6]); c60 = VectorFma.Fma(av, b0, c60); c61 = VectorFma.Fma(av, b1, c61);
            av = Vector512.Create(a[7]); c70 = VectorFma.Fma(av, b0, c70); c71 = VectorFma.Fma(av, b1, c71);
            a += 8;
            b += 2 * w;
        }
        int nr = 2 * w;
        c00.Store(tile); c01.Store(tile + w); tile += nr;
        c10.Store(tile); c11.Store(tile + w); tile += nr;
        c20.Store(tile); c21.Store(tile + w); tile += nr;
        c30.Store(tile); c31.Store(tile + w); tile += nr;
        c40.Store(tile); c41.Store(tile + w); tile += nr;
        c50.Store(tile); c51.Store(tile + w); tile += nr;
        c60.Store(tile); c61.Store(tile + w); tile += nr;
        c70.Store(tile); c71.Store(tile + w);
    }
}

/// <summary>
/// 6 rows × 2 Vector256 columns (6×16 floats, 6×8 doubles): 12 accumulators, two B vectors and one broadcast
/// fill the 16 AVX2 registers (the classic Haswell-era shape).
/// </summary>
internal readonly struct MicroKernel256<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;

    public static unsafe void Run(int kc, T* a, T* b, T* tile)
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var av = Vector256.Create(a[0]); c00 = VectorFma.Fma(av, b0, c00); c01 = VectorFma.Fma(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = VectorFma.Fma(av, b0, c10); c11 = VectorFma.Fma(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = VectorFma.Fma(av, b0, c20); c21 = VectorFma.Fma(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = VectorFma.Fma(av, b0, c30); c31 = VectorFma.Fma(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = VectorFma.Fma(av, b0, c40); c41 = VectorFma.Fma(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = VectorFma.Fma(av, b0, c50); c51 = VectorFma.Fma(av, b1, c51);
            a += 6;
            b += 2 * w;
        }
        int nr = 2 * w;
        c00.Store(tile); c01.Store(tile + w); tile += nr;
        c10.Store(tile); c11.Store(tile + w); tile += nr;
        c20.Store(tile); c21.Store(tile + w); tile += nr;
        c30.Store(tile); c31.Store(tile + w); tile += nr;
        c40.Store(tile); c41.Store(tile + w); tile += nr;
        c50.Store(tile); c51.Store(tile + w);
    }
}

/// <summary>
/// The portable 4×4 tile with scalar fused multiply-adds: the fallback where no vector width is accelerated,
/// and the reference the vector kernels are tested against (same packing, same operation order).
/// </summary>
internal readonly struct MicroKernelScalar<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 4;

    public static unsafe void Run(int kc, T* a, T* b, T* tile)
    {
        for (int i = 0; i < 16; i++) tile[i] = T.Zero;
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < 4; i++)
            {
                T ai = a[i];
                T* row = tile + 4 * i;
                row[0] = T.FusedMultiplyAdd(ai, b[0], row[0]);
                row[1] = T.FusedMultiplyAdd(ai, b[1], row[1]);
                row[2] = T.FusedMultiplyAdd(ai, b[2], row[2]);
                row[3] = T.FusedMultiplyAdd(ai, b[3], row[3]);
            }
            a += 4;
            b += 4;
        }
    }
}
