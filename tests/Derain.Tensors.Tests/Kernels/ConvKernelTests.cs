using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Kernels.Managed.Conv;

namespace Derain.Tensors.Tests.Kernels;

/// <summary>
/// The managed im2col convolution kernels against a direct float64 definition (a loop over every output,
/// channel and tap), for 1-D/2-D/3-D geometries with stride, dilation, groups, per-side padding, the pointwise
/// shortcut, multi-chunk column buffers, and each of the threading splits (images × groups, per-group weight
/// gradients, per-image-range partials, parallel GEMMs inside).
/// </summary>
public class ConvKernelTests
{
    public static TheoryData<string> Cases() => new()
    {
        "2d n1 cin3 cout4 g1 in7,6 k3,3 s1,1 d1,1 pb1,1 pe1,1",
        "2d n2 cin4 cout6 g2 in9,8 k3,2 s2,1 d1,2 pb1,0 pe2,1",
        "1d n3 cin2 cout3 g1 in17 k5 s3 d2 pb2 pe1",
        "3d n1 cin2 cout2 g1 in5,6,7 k3,2,3 s2,1,2 d1,2,1 pb1,0,1 pe0,1,2",
        "3d n2 cin2 cout4 g2 in3,4,5 k1,3,3 s1,2,1 d1,1,1 pb0,1,1 pe0,1,1",
        "2d n2 cin3 cout5 g1 in4,5 k1,1 s1,1 d1,1 pb0,0 pe0,0",
        "2d n1 cin3 cout2 g1 in5,7 k1,1 s2,2 d1,1 pb0,0 pe0,0",
        "2d n1 cin4 cout8 g4 in6,6 k3,3 s1,1 d1,1 pb1,1 pe1,1",
        "2d n1 cin2 cout3 g1 in3,2 k5,4 s1,1 d1,1 pb3,2 pe2,3",
        "1d n1 cin1 cout1 g1 in1 k1 s1 d1 pb0 pe0",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernels_match_the_direct_definition(string spec)
    {
        var g = Parse(spec);
        foreach (long chunk in (long[])[0, 64])   // default budget, and one tiny enough to force many chunks
        {
            ConvPlan.ChunkBytes = chunk;
            try { CheckAll(g, spec + (chunk > 0 ? " (small chunks)" : "")); }
            finally { ConvPlan.ChunkBytes = 0; }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_thread_split_gives_the_same_result(string spec)
    {
        // 1 thread: everything serial; 3 threads: odd splits of pieces, partials and GEMM panels.
        var g = Parse(spec);
        var (x, w, b, dy) = Inputs(g, 9);
        var (y, dx, dw, db) = Direct(g, x, w, b, dy);
        foreach (int threads in (int[])[1, 3])
        {
            var got = RunWithThreads(g, threads, x, w, b, dy);
            Infrastructure.Golden.AssertClose(y, got.Y, 1e-12, 1e-12, $"{spec} forward, {threads} threads");
            Infrastructure.Golden.AssertClose(dx, got.Dx, 1e-12, 1e-12, $"{spec} backward data, {threads} threads");
            Infrastructure.Golden.AssertClose(dw, got.Dw, 1e-12, 1e-12, $"{spec} backward weights, {threads} threads");
            Infrastructure.Golden.AssertClose(db, got.Db, 1e-12, 1e-12, $"{spec} backward bias, {threads} threads");
        }
    }

    private static unsafe (double[] Y, double[] Dx, double[] Dw, double[] Db) RunWithThreads(ConvGeometry g, int threads, double[] x, double[] w, double[] b, double[] dy)
    {
        var p = new ConvPlan(g, sizeof(double), threads);
        var y = Filled(dy.Length); var dx = Filled(x.Length); var dw = Filled(w.Length); var db = Filled(b.Length);
        fixed (double* px = x, pw = w, pb = b, pdy = dy, py = y, pdx = dx, pdw = dw, pdb = db)
        {
            ConvDriver.Forward(p, px, pw, pb, py, threads);
            ConvDriver.BackwardData(p, pdy, pw, pdx, threads);
            ConvDriver.BackwardWeights(p, px, pdy, pdw, pdb, threads);
        }
        return (y, dx, dw, db);
    }

    [Fact]
    public void Float32_kernels_match_the_float64_definition()
    {
        var g = Parse("2d n2 cin3 cout4 g1 in10,9 k3,3 s2,1 d1,1 pb1,1 pe1,1");
        var (x, w, b, dy) = Inputs(g, 5);
        var (y, dx, dw, db) = Direct(g, x, w, b, dy);
        var k = ManagedKernels.Instance;
        float[] F(double[] a) => a.Select(v => (float)v).ToArray();
        var yf = new float[y.Length]; var dxf = new float[dx.Length]; var dwf = new float[dw.Length]; var dbf = new float[db.Length];
        k.ConvForward<float>(g, F(x), F(w), F(b), yf);
        k.ConvBackwardData<float>(g, F(dy), F(w), dxf);
        k.ConvBackwardWeights<float>(g, F(x), F(dy), dwf, dbf);
        Infrastructure.Golden.AssertClose(y, yf.Select(v => (double)v).ToArray(), 1e-5, 1e-5, "y");
        Infrastructure.Golden.AssertClose(dx, dxf.Select(v => (double)v).ToArray(), 1e-5, 1e-5, "dx");
        Infrastructure.Golden.AssertClose(dw, dwf.Select(v => (double)v).ToArray(), 1e-5, 1e-4, "dw");
        Infrastructure.Golden.AssertClose(db, dbf.Select(v => (double)v).ToArray(), 1e-5, 1e-4, "db");
    }

    [Fact]
    public void Wrong_span_length_is_rejected()
    {
        var g = Parse("1d n1 cin2 cout3 g1 in8 k3 s1 d1 pb0 pe0");
        var e = Assert.Throws<ArgumentException>(() =>
            ManagedKernels.Instance.ConvForward<double>(g, new double[15], new double[18], [], new double[18]));
        Assert.Contains("ConvForward: x has 15 elements", e.Message);
    }

    private static void CheckAll(ConvGeometry g, string what)
    {
        var (x, w, b, dy) = Inputs(g, 1);
        var (y, dx, dw, db) = Direct(g, x, w, b, dy);
        var k = ManagedKernels.Instance;

        var got = Filled(y.Length);
        k.ConvForward<double>(g, x, w, b, got);
        Infrastructure.Golden.AssertClose(y, got, 1e-12, 1e-12, what + " forward");
        var gotNoBias = Filled(y.Length);
        k.ConvForward<double>(g, x, w, [], gotNoBias);
        var yNoBias = Direct(g, x, w, new double[b.Length], dy).Y;
        Infrastructure.Golden.AssertClose(yNoBias, gotNoBias, 1e-12, 1e-12, what + " forward without bias");

        var gotDx = Filled(dx.Length);
        k.ConvBackwardData<double>(g, dy, w, gotDx);
        Infrastructure.Golden.AssertClose(dx, gotDx, 1e-12, 1e-12, what + " backward data");

        var gotDw = Filled(dw.Length);
        var gotDb = Filled(db.Length);
        k.ConvBackwardWeights<double>(g, x, dy, gotDw, gotDb);
        Infrastructure.Golden.AssertClose(dw, gotDw, 1e-12, 1e-12, what + " backward weights");
        Infrastructure.Golden.AssertClose(db, gotDb, 1e-12, 1e-12, what + " backward bias");
        var gotDwOnly = Filled(dw.Length);
        k.ConvBackwardWeights<double>(g, x, dy, gotDwOnly, []);
        Infrastructure.Golden.AssertClose(dw, gotDwOnly, 1e-12, 1e-12, what + " backward weights without bias");
    }

    /// <summary>NaN-filled output buffers: kernels must overwrite every element.</summary>
    private static double[] Filled(int n) => Enumerable.Repeat(double.NaN, n).ToArray();

    private static (double[] X, double[] W, double[] B, double[] Dy) Inputs(ConvGeometry g, ulong seed)
    {
        double[] R(int n, ulong s) => GradCheckValues(n, s);
        int inPlane = g.InSize.Aggregate(1, (a, v) => a * v), outPlane = g.OutSize.Aggregate(1, (a, v) => a * v);
        int kPlane = g.Kernel.Aggregate(1, (a, v) => a * v);
        return (R(g.N * g.InChannels * inPlane, seed), R(g.OutChannels * g.InChannels / g.Groups * kPlane, seed + 1),
            R(g.OutChannels, seed + 2), R(g.N * g.OutChannels * outPlane, seed + 3));
    }

    private static double[] GradCheckValues(int n, ulong seed)
    {
        var gen = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => 2 * gen.NextDouble() - 1).ToArray();
    }

    /// <summary>The definition: y[n, o, p] = b[o] + Σ_{c in o's group, t} w[o, c, t] · x[n, c, p·s − pb + t·d].</summary>
    internal static (double[] Y, double[] Dx, double[] Dw, double[] Db) Direct(ConvGeometry g, double[] x, double[] w, double[] b, double[] dy)
    {
        int sr = g.SpatialRank;
        int inPlane = g.InSize.Aggregate(1, (a, v) => a * v), outPlane = g.OutSize.Aggregate(1, (a, v) => a * v);
        int kPlane = g.Kernel.Aggregate(1, (a, v) => a * v);
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups;
        var y = new double[g.N * g.OutChannels * outPlane];
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[g.OutChannels];
        var op = new int[sr];
        var kp = new int[sr];
        for (int n = 0; n < g.N; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int pos = 0; pos < outPlane; pos++)
                {
                    Unflatten(pos, g.OutSize, op);
                    int yi = (n * g.OutChannels + o) * outPlane + pos;
                    double s = b[o];
                    db[o] += dy[yi];
                    for (int c = 0; c < cinG; c++)
                        for (int t = 0; t < kPlane; t++)
                        {
                            Unflatten(t, g.Kernel, kp);
                            int xi = 0;
                            bool inside = true;
                            for (int d = 0; d < sr; d++)
                            {
                                int i = op[d] * g.Stride[d] - g.PadBegin[d] + kp[d] * g.Dilation[d];
                                if (i < 0 || i >= g.InSize[d]) { inside = false; break; }
                                xi = xi * g.InSize[d] + i;
                            }
                            if (!inside) continue;
                            int ci = o / coutG * cinG + c;
                            xi += (n * g.InChannels + ci) * inPlane;
                            int wi = (o * cinG + c) * kPlane + t;
                            s += w[wi] * x[xi];
                            dx[xi] += w[wi] * dy[yi];
                            dw[wi] += x[xi] * dy[yi];
                        }
                    y[yi] = s;
                }
        return (y, dx, dw, db);
    }

    private static void Unflatten(int flat, int[] sizes, int[] idx)
    {
        for (int d = sizes.Length - 1; d >= 0; d--) { idx[d] = flat % sizes[d]; flat /= sizes[d]; }
    }

    /// <summary>Parses "2d n1 cin3 cout4 g1 in7,6 k3,3 s1,1 d1,1 pb1,1 pe1,1" into a geometry.</summary>
    internal static ConvGeometry Parse(string spec)
    {
        var f = spec.Split(' ').Skip(1).ToDictionary(t => new string(t.TakeWhile(char.IsLetter).ToArray()),
            t => t.SkipWhile(char.IsLetter).Aggregate("", (a, ch) => a + ch).Split(',').Select(int.Parse).ToArray());
        int n = f["n"][0], cin = f["cin"][0], cout = f["cout"][0], groups = f["g"][0];
        int[] size = f["in"], k = f["k"];
        var x = new Shape([n, cin, .. size]);
        var w = new Shape([cout, cin / groups, .. k]);
        return ConvGeometry.Create("test", x, w, f["s"], f["d"], f["pb"], f["pe"], groups);
    }
}
