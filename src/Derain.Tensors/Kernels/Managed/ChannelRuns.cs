using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Bilinear sampling of a run of n adjacent channels from a channels-last image (pixel p's channels start at
/// p·stride). Keeping channels innermost turns every corner read into contiguous vector loads, so one set of
/// corners (computed once per sample position) serves all channels of a deform group or of a grid_sample.
/// Corners outside the image are never read, so non-finite values elsewhere cannot leak in through a 0 weight.
/// </summary>
internal static unsafe class ChannelRuns
{
    /// <summary>dst[i] = scale · Σ W·img[P·stride + i] over the inside corners, i &lt; n.</summary>
    public static void Sample<T>(T* img, int stride, in Corners<T> c, T scale, T* dst, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c.Inside == Corners<T>.All)
        {
            Sample4(img + (nint)c.P00 * stride, img + (nint)c.P01 * stride, img + (nint)c.P10 * stride, img + (nint)c.P11 * stride,
                scale * c.W00, scale * c.W01, scale * c.W10, scale * c.W11, dst, n);
            return;
        }
        new Span<T>(dst, n).Clear();
        if ((c.Inside & 1) != 0) Axpy(img + (nint)c.P00 * stride, scale * c.W00, dst, n);
        if ((c.Inside & 2) != 0) Axpy(img + (nint)c.P01 * stride, scale * c.W01, dst, n);
        if ((c.Inside & 4) != 0) Axpy(img + (nint)c.P10 * stride, scale * c.W10, dst, n);
        if ((c.Inside & 8) != 0) Axpy(img + (nint)c.P11 * stride, scale * c.W11, dst, n);
    }

    /// <summary>img[P·stride + i] += scale·W·g[i] at every inside corner (the adjoint of <see cref="Sample{T}"/>).</summary>
    public static void Scatter<T>(T* img, int stride, in Corners<T> c, T scale, T* g, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((c.Inside & 1) != 0) Axpy(g, scale * c.W00, img + (nint)c.P00 * stride, n);
        if ((c.Inside & 2) != 0) Axpy(g, scale * c.W01, img + (nint)c.P01 * stride, n);
        if ((c.Inside & 4) != 0) Axpy(g, scale * c.W10, img + (nint)c.P10 * stride, n);
        if ((c.Inside & 8) != 0) Axpy(g, scale * c.W11, img + (nint)c.P11 * stride, n);
    }

    /// <summary>
    /// Adds Σ_i g[i]·img[P·stride + i] of each inside corner to s00…s11 (outside corners add nothing: their
    /// value is the zero padding). These sums give the sample's derivatives w.r.t. its position and mask.
    /// </summary>
    public static void Dot4<T>(T* img, int stride, in Corners<T> c, T* g, int n, ref T s00, ref T s01, ref T s10, ref T s11)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c.Inside == Corners<T>.All)
        {
            Dot4All(img + (nint)c.P00 * stride, img + (nint)c.P01 * stride, img + (nint)c.P10 * stride, img + (nint)c.P11 * stride,
                g, n, ref s00, ref s01, ref s10, ref s11);
            return;
        }
        if ((c.Inside & 1) != 0) s00 += Dot(g, img + (nint)c.P00 * stride, n);
        if ((c.Inside & 2) != 0) s01 += Dot(g, img + (nint)c.P01 * stride, n);
        if ((c.Inside & 4) != 0) s10 += Dot(g, img + (nint)c.P10 * stride, n);
        if ((c.Inside & 8) != 0) s11 += Dot(g, img + (nint)c.P11 * stride, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sample4<T>(T* a, T* b, T* c, T* d, T wa, T wb, T wc, T wd, T* dst, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            Vector512<T> va = Vector512.Create(wa), vb = Vector512.Create(wb), vc = Vector512.Create(wc), vd = Vector512.Create(wd);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                Vector512.Store(Vector512.Load(a + i) * va + Vector512.Load(b + i) * vb + Vector512.Load(c + i) * vc + Vector512.Load(d + i) * vd, dst + i);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            Vector256<T> va = Vector256.Create(wa), vb = Vector256.Create(wb), vc = Vector256.Create(wc), vd = Vector256.Create(wd);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(a + i) * va + Vector256.Load(b + i) * vb + Vector256.Load(c + i) * vc + Vector256.Load(d + i) * vd, dst + i);
        }
        for (; i < n; i++) dst[i] = a[i] * wa + b[i] * wb + c[i] * wc + d[i] * wd;
    }

    /// <summary>y[i] += w·x[i], i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy<T>(T* x, T w, T* y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            var vw = Vector512.Create(w);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                Vector512.Store(Vector512.Load(y + i) + Vector512.Load(x + i) * vw, y + i);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            var vw = Vector256.Create(w);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(y + i) + Vector256.Load(x + i) * vw, y + i);
        }
        for (; i < n; i++) y[i] += x[i] * w;
    }

    /// <summary>Σ x[i]·y[i], i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(T* x, T* y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T s = T.Zero;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            var acc = Vector512<T>.Zero;
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count) acc += Vector512.Load(x + i) * Vector512.Load(y + i);
            s += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            var acc = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count) acc += Vector256.Load(x + i) * Vector256.Load(y + i);
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++) s += x[i] * y[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4All<T>(T* a, T* b, T* c, T* d, T* g, int n, ref T sa, ref T sb, ref T sc, ref T sd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            Vector512<T> ea = default, eb = default, ec = default, ed = default;
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var vg = Vector512.Load(g + i);
                ea += vg * Vector512.Load(a + i); eb += vg * Vector512.Load(b + i);
                ec += vg * Vector512.Load(c + i); ed += vg * Vector512.Load(d + i);
            }
            sa += Vector512.Sum(ea); sb += Vector512.Sum(eb); sc += Vector512.Sum(ec); sd += Vector512.Sum(ed);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            Vector256<T> ea = default, eb = default, ec = default, ed = default;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var vg = Vector256.Load(g + i);
                ea += vg * Vector256.Load(a + i); eb += vg * Vector256.Load(b + i);
                ec += vg * Vector256.Load(c + i); ed += vg * Vector256.Load(d + i);
            }
            sa += Vector256.Sum(ea); sb += Vector256.Sum(eb); sc += Vector256.Sum(ec); sd += Vector256.Sum(ed);
        }
        for (; i < n; i++)
        {
            sa += g[i] * a[i]; sb += g[i] * b[i]; sc += g[i] * c[i]; sd += g[i] * d[i];
        }
    }
}
