using System.Numerics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The clamped-corner bilinear warp of <see cref="Ops.FlowWarpClamped"/>. The sample position and weights are
/// evaluated in T in the order of the TensorFlow reference (x + flow·scale, then (x1 − X)(y1 − Y), …, summed
/// a + b + c + d), so float32 results match it to rounding.
/// </summary>
internal static class FlowWarpKernel
{
    /// <summary>One pixel's clamped corners (flat offsets in the plane) and the two weight factors per axis.</summary>
    private readonly struct Corners<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly int A, B, C, D; // (y0,x0), (y1,x0), (y0,x1), (y1,x1)
        public readonly T Left, Right, Up, Down; // x1c − X, X − x0c, y1c − Y, Y − y0c

        public Corners(int x, int y, T u, T v, T scale, int w, int h)
        {
            T px = T.CreateTruncating(x) + u * scale, py = T.CreateTruncating(y) + v * scale;
            int x0 = FloorToInt(px), y0 = FloorToInt(py);
            int x0c = Math.Clamp(x0, 0, w - 1), x1c = Math.Clamp(x0 + 1, 0, w - 1);
            int y0c = Math.Clamp(y0, 0, h - 1), y1c = Math.Clamp(y0 + 1, 0, h - 1);
            A = y0c * w + x0c;
            B = y1c * w + x0c;
            C = y0c * w + x1c;
            D = y1c * w + x1c;
            Left = T.CreateTruncating(x1c) - px;
            Right = px - T.CreateTruncating(x0c);
            Up = T.CreateTruncating(y1c) - py;
            Down = py - T.CreateTruncating(y0c);
        }

        /// <summary>⌊v⌋ as an int, saturating far outside the image so that clamping still applies.</summary>
        private static int FloorToInt(T v)
        {
            T f = T.Floor(v);
            if (T.IsNaN(f)) return 0;
            return f < T.CreateTruncating(-1_000_000) ? -1_000_000 : f > T.CreateTruncating(1_000_000) ? 1_000_000 : int.CreateTruncating(f);
        }
    }

    public static unsafe void Forward<T>(FlowWarpGeometry g, ReadOnlySpan<T> image, ReadOnlySpan<T> flow, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* pi = image, pf = flow, py = y)
        {
            nint ai = (nint)pi, af = (nint)pf, ay = (nint)py;
            SamplingParallel.For(g.N * g.H, (long)g.N * g.Plane * (g.Channels + 2), row =>
            {
                int n = row / g.H, yy = row % g.H, plane = g.Plane;
                T scale = T.CreateTruncating(g.Scale);
                T* u = (T*)af + (nint)n * 2 * plane + yy * g.W, v = u + plane;
                for (int xx = 0; xx < g.W; xx++)
                {
                    var k = new Corners<T>(xx, yy, u[xx], v[xx], scale, g.W, g.H);
                    T wa = k.Left * k.Up, wb = k.Left * k.Down, wc = k.Right * k.Up, wd = k.Right * k.Down;
                    for (int c = 0; c < g.Channels; c++)
                    {
                        T* src = (T*)ai + ((nint)n * g.Channels + c) * plane;
                        T* dst = (T*)ay + ((nint)n * g.Channels + c) * plane + yy * g.W;
                        dst[xx] = wa * src[k.A] + wb * src[k.B] + wc * src[k.C] + wd * src[k.D];
                    }
                }
            });
        }
    }

    /// <summary>dImage (zeroed by the caller) accumulates the scattered weights; dFlow is overwritten.</summary>
    public static unsafe void Backward<T>(FlowWarpGeometry g, ReadOnlySpan<T> image, ReadOnlySpan<T> flow, ReadOnlySpan<T> dy,
        Span<T> dImage, Span<T> dFlow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool wantImage = !dImage.IsEmpty, wantFlow = !dFlow.IsEmpty;
        fixed (T* pi = image, pf = flow, pg = dy, pdi = dImage, pdf = dFlow)
        {
            nint ai = (nint)pi, af = (nint)pf, ag = (nint)pg, adi = (nint)pdi, adf = (nint)pdf;
            int plane = g.Plane;
            if (wantImage)
            {
                // Each (n, c) plane only receives from its own outputs, so planes are independent tasks.
                SamplingParallel.For(g.N * g.Channels, (long)g.N * g.Channels * plane * 2, nc =>
                {
                    int n = nc / g.Channels;
                    T scale = T.CreateTruncating(g.Scale);
                    T* u = (T*)af + (nint)n * 2 * plane, v = u + plane;
                    T* grad = (T*)ag + (nint)nc * plane, dst = (T*)adi + (nint)nc * plane;
                    for (int yy = 0; yy < g.H; yy++)
                        for (int xx = 0; xx < g.W; xx++)
                        {
                            int i = yy * g.W + xx;
                            var k = new Corners<T>(xx, yy, u[i], v[i], scale, g.W, g.H);
                            T gi = grad[i];
                            dst[k.A] += k.Left * k.Up * gi;
                            dst[k.B] += k.Left * k.Down * gi;
                            dst[k.C] += k.Right * k.Up * gi;
                            dst[k.D] += k.Right * k.Down * gi;
                        }
                });
            }
            if (!wantFlow) return;
            SamplingParallel.For(g.N * g.H, (long)g.N * plane * (g.Channels + 2), row =>
            {
                int n = row / g.H, yy = row % g.H;
                T scale = T.CreateTruncating(g.Scale);
                T* u = (T*)af + (nint)n * 2 * plane + yy * g.W, v = u + plane;
                T* du = (T*)adf + (nint)n * 2 * plane + yy * g.W, dv = du + plane;
                for (int xx = 0; xx < g.W; xx++)
                {
                    var k = new Corners<T>(xx, yy, u[xx], v[xx], scale, g.W, g.H);
                    T sx = T.Zero, sy = T.Zero;
                    for (int c = 0; c < g.Channels; c++)
                    {
                        T* src = (T*)ai + ((nint)n * g.Channels + c) * plane;
                        T gi = ((T*)ag)[((nint)n * g.Channels + c) * plane + yy * g.W + xx];
                        T ia = src[k.A], ib = src[k.B], ic = src[k.C], id = src[k.D];
                        // ∂/∂X of (x1c−X)(y1c−Y)·Ia + (x1c−X)(Y−y0c)·Ib + (X−x0c)(y1c−Y)·Ic + (X−x0c)(Y−y0c)·Id, likewise ∂/∂Y.
                        sx += gi * (k.Up * (ic - ia) + k.Down * (id - ib));
                        sy += gi * (k.Left * (ib - ia) + k.Right * (id - ic));
                    }
                    du[xx] = sx * scale;
                    dv[xx] = sy * scale;
                }
            });
        }
    }
}
