using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The per-plane loops of grid_sample: 8 output pixels at a time with AVX2 masked gathers for float32 (the
/// mask keeps outside corners unread, as the scalar path does), scalar otherwise and for the tails.
/// </summary>
public partial class ManagedKernels
{
    /// <summary>dst[p] = sample of plane src at pixel p, for p in [p0, p1).</summary>
    private static unsafe void GridSamplePlane<T>(in CornerTable<T> t, T* src, int p0, int p1, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = p0;
        if (typeof(T) == typeof(float) && Avx2.IsSupported)
        {
            float* s = (float*)src, w = (float*)t.Weight, d = (float*)dst;
            int n = t.Count;
            for (; p + 8 <= p1; p += 8)
            {
                var inside = Avx.LoadVector256(t.Inside + p);
                var acc = Vector256<float>.Zero;
                for (int i = 0; i < 4; i++)
                {
                    var v = Avx2.GatherMaskVector256(Vector256<float>.Zero, s, Avx.LoadVector256(t.Index + i * n + p), CornerMask(inside, i), 4);
                    acc += v * Avx.LoadVector256(w + i * n + p);
                }
                Avx.Store(d + p, acc);
            }
        }
        for (; p < p1; p++) dst[p] = t.Sample(src, p);
    }

    /// <summary>
    /// sums[i·len + (p − p0)] += gy[p]·src[corner i of p] for inside corners, p in [p0, p0 + len): one plane's
    /// share of the per-corner sums the grid gradient needs.
    /// </summary>
    private static unsafe void GridCornerSums<T>(in CornerTable<T> t, T* src, T* gy, int p0, int len, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0, n = t.Count;
        if (typeof(T) == typeof(float) && Avx2.IsSupported)
        {
            float* s = (float*)src, g = (float*)gy, acc = (float*)sums;
            for (; j + 8 <= len; j += 8)
            {
                int p = p0 + j;
                var inside = Avx.LoadVector256(t.Inside + p);
                var vg = Avx.LoadVector256(g + p);
                for (int i = 0; i < 4; i++)
                {
                    var v = Avx2.GatherMaskVector256(Vector256<float>.Zero, s, Avx.LoadVector256(t.Index + i * n + p), CornerMask(inside, i), 4);
                    float* a = acc + i * len + j;
                    Avx.Store(a, Avx.LoadVector256(a) + vg * v);
                }
            }
        }
        for (; j < len; j++)
        {
            int p = p0 + j, inside = t.Inside[p];
            T v = gy[p];
            for (int i = 0; i < 4; i++)
                if ((inside & (1 << i)) != 0) sums[i * len + j] += v * src[t.Index[i * n + p]];
        }
    }

    /// <summary>All-ones lanes where corner <paramref name="i"/> is inside (bit i of the inside flags).</summary>
    private static Vector256<float> CornerMask(Vector256<int> inside, int i)
    {
        var bit = Vector256.Create(1 << i);
        return Avx2.CompareEqual(Avx2.And(inside, bit), bit).AsSingle();
    }
}
