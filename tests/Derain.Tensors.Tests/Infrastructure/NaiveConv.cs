using Derain.Tensors.Kernels;

namespace Derain.Tensors.Tests.Infrastructure;

/// <summary>
/// Float64 reference convolutions written as the textbook loops (no im2col, no blocking), for checking fast
/// kernels: y[n,o,p] = b[o] + Σ_{c in o's group, q} x[n,c,p·s − pad + q·d] · w[o,c,q]. 1-D and 2-D are run as
/// 3-D with leading unit dims. Slow by design; keep the shapes small.
/// </summary>
public static class NaiveConv
{
    /// <summary>y = conv(x, w) + bias (bias null: none).</summary>
    public static double[] Forward(ConvGeometry g, float[] x, float[] w, float[]? bias)
    {
        var y = new double[g.N * g.OutChannels * g.OutPlane];
        Visit(g, (xi, wi, yi) => y[yi] += (double)x[xi] * w[wi]);
        if (bias is not null)
            for (int n = 0; n < g.N; n++)
                for (int o = 0; o < g.OutChannels; o++)
                    for (int p = 0; p < g.OutPlane; p++)
                        y[(n * g.OutChannels + o) * g.OutPlane + p] += bias[o];
        return y;
    }

    /// <summary>dx = the adjoint of conv(·, w) applied to dy.</summary>
    public static double[] BackwardData(ConvGeometry g, float[] dy, float[] w)
    {
        var dx = new double[g.N * g.InChannels * g.InPlane];
        Visit(g, (xi, wi, yi) => dx[xi] += (double)dy[yi] * w[wi]);
        return dx;
    }

    /// <summary>dw = Σ over samples and output positions of dy · x.</summary>
    public static double[] BackwardWeights(ConvGeometry g, float[] x, float[] dy)
    {
        var dw = new double[g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane];
        Visit(g, (xi, wi, yi) => dw[wi] += (double)dy[yi] * x[xi]);
        return dw;
    }

    /// <summary>dbias[o] = Σ dy[n, o, ·].</summary>
    public static double[] BiasGrad(ConvGeometry g, float[] dy)
    {
        var db = new double[g.OutChannels];
        for (int n = 0; n < g.N; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int p = 0; p < g.OutPlane; p++)
                    db[o] += dy[(n * g.OutChannels + o) * g.OutPlane + p];
        return db;
    }

    /// <summary>
    /// Calls <paramref name="visit"/>(x index, w index, y index) for every multiply of the convolution whose
    /// input position lies inside the (unpadded) input.
    /// </summary>
    private static void Visit(ConvGeometry g, Action<int, int, int> visit)
    {
        int lead = 3 - g.SpatialRank;
        int[] Pad3(int[] a, int fill) => [.. Enumerable.Repeat(fill, lead), .. a];
        int[] inS = Pad3(g.InSize, 1), outS = Pad3(g.OutSize, 1), k = Pad3(g.Kernel, 1);
        int[] s = Pad3(g.Stride, 1), d = Pad3(g.Dilation, 1), pb = Pad3(g.PadBegin, 0);
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups;
        for (int n = 0; n < g.N; n++)
            for (int o = 0; o < g.OutChannels; o++)
            {
                int grp = o / coutG;
                for (int oz = 0; oz < outS[0]; oz++)
                    for (int oy = 0; oy < outS[1]; oy++)
                        for (int ox = 0; ox < outS[2]; ox++)
                        {
                            int yi = (((n * g.OutChannels + o) * outS[0] + oz) * outS[1] + oy) * outS[2] + ox;
                            for (int c = 0; c < cinG; c++)
                            {
                                int ci = grp * cinG + c;
                                for (int kz = 0; kz < k[0]; kz++)
                                {
                                    int iz = oz * s[0] - pb[0] + kz * d[0];
                                    if (iz < 0 || iz >= inS[0]) continue;
                                    for (int ky = 0; ky < k[1]; ky++)
                                    {
                                        int iy = oy * s[1] - pb[1] + ky * d[1];
                                        if (iy < 0 || iy >= inS[1]) continue;
                                        for (int kx = 0; kx < k[2]; kx++)
                                        {
                                            int ix = ox * s[2] - pb[2] + kx * d[2];
                                            if (ix < 0 || ix >= inS[2]) continue;
                                            int xi = (((n * g.InChannels + ci) * inS[0] + iz) * inS[1] + iy) * inS[2] + ix;
                                            int wi = (((o * cinG + c) * k[0] + kz) * k[1] + ky) * k[2] + kx;
                                            visit(xi, wi, yi);
                                        }
                                    }
                                }
                            }
                        }
            }
    }
}

/// <summary>Float64 reference GEMM with BLAS row-major semantics (lda/ldb/ldc are row strides of the stored matrices).</summary>
public static class NaiveGemm
{
    /// <summary>Returns C' = alpha·op(A)·op(B) + beta·C as a copy of <paramref name="c"/> (beta = 0 ignores C, even NaN).</summary>
    public static double[] Compute(bool transA, bool transB, int m, int n, int k, double alpha,
        float[] a, int offA, int lda, float[] b, int offB, int ldb, double beta, float[] c, int offC, int ldc)
    {
        var r = c.Select(v => (double)v).ToArray();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[offA + p * lda + i] : a[offA + i * lda + p];
                    double bv = transB ? b[offB + j * ldb + p] : b[offB + p * ldb + j];
                    s += av * bv;
                }
                int ci = offC + i * ldc + j;
                r[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
            }
        return r;
    }
}

/// <summary>Seeded float test data.</summary>
public static class TestData
{
    /// <summary><paramref name="count"/> floats uniform in [-1, 1).</summary>
    public static float[] Uniform(int count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>Root mean square of <paramref name="v"/> (the scale for absolute tolerances).</summary>
    public static double Rms(double[] v) => v.Length == 0 ? 0 : Math.Sqrt(v.Sum(e => e * e) / v.Length);
}
