using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// One element-wise function of one input, written once per width: a struct implementing it drives the
/// Vector512, Vector256 and scalar paths of <see cref="LaneMaps"/>, so each fused loop is stated once.
/// Fields of the struct carry the op's constants (slope, bounds, mean, …).
/// </summary>
internal interface ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Apply(T x);
    Vector256<T> Apply(Vector256<T> x);
    Vector512<T> Apply(Vector512<T> x);
}

/// <summary>An element-wise function of two inputs (see <see cref="ILane1{T}"/>).</summary>
internal interface ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Apply(T a, T b);
    Vector256<T> Apply(Vector256<T> a, Vector256<T> b);
    Vector512<T> Apply(Vector512<T> a, Vector512<T> b);
}

/// <summary>An element-wise function of three inputs (see <see cref="ILane1{T}"/>).</summary>
internal interface ILane3<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    T Apply(T a, T b, T c);
    Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c);
    Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c);
}

/// <summary>
/// Fused SIMD loops for the activation, reduction and normalisation kernels: maps of 1–3 inputs and sums
/// of an element-wise term. Widest accelerated vectors first, then Vector256, then scalars for the tail.
/// Sums are accumulated in vector lanes over blocks of <see cref="SumBlock"/> elements and the block sums
/// in double, so float32 statistics over large planes stay accurate to a few ulps.
/// </summary>
internal static class LaneMaps
{
    /// <summary>Elements summed in vector lanes before the partial sum is moved to double.</summary>
    public const int SumBlock = 2048;

    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ILane1<T>
    {
        int n = y.Length;
        if (x.Length < n) throw new ArgumentException("LaneMaps.Map: input shorter than output.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                op.Apply(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                op.Apply(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Apply(Unsafe.Add(ref xr, i));
    }

    public static void Map<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ILane2<T>
    {
        int n = y.Length;
        if (a.Length < n || b.Length < n) throw new ArgumentException("LaneMaps.Map: input shorter than output.");
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Apply(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
    }

    public static void Map<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> y, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ILane3<T>
    {
        int n = y.Length;
        if (a.Length < n || b.Length < n || c.Length < n) throw new ArgumentException("LaneMaps.Map: input shorter than output.");
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T cr = ref MemoryMarshal.GetReference(c);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i),
                    Vector512.LoadUnsafe(ref cr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i),
                    Vector256.LoadUnsafe(ref cr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Apply(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i), Unsafe.Add(ref cr, i));
    }

    /// <summary>Σ op(a_i, b_i) accumulated blockwise (see <see cref="SumBlock"/>).</summary>
    public static double Sum<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ILane2<T>
    {
        int n = a.Length;
        if (b.Length < n) throw new ArgumentException("LaneMaps.Sum: second input shorter than the first.");
        double total = 0;
        for (int start = 0; start < n; start += SumBlock)
        {
            int len = Math.Min(SumBlock, n - start);
            total += double.CreateTruncating(SumBlockOf(a.Slice(start, len), b.Slice(start, len), op));
        }
        return total;
    }

    private static T SumBlockOf<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, ILane2<T>
    {
        int n = a.Length;
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        int i = 0;
        T s = T.Zero;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            // Four independent accumulators: a single one would serialise on the add latency.
            int c = Vector512<T>.Count;
            Vector512<T> a0 = Vector512<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - 4 * c; i += 4 * c)
            {
                a0 += op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i));
                a1 += op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)(i + c)), Vector512.LoadUnsafe(ref br, (nuint)(i + c)));
                a2 += op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)(i + 2 * c)), Vector512.LoadUnsafe(ref br, (nuint)(i + 2 * c)));
                a3 += op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)(i + 3 * c)), Vector512.LoadUnsafe(ref br, (nuint)(i + 3 * c)));
            }
            for (; i <= n - c; i += c)
                a0 += op.Apply(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i));
            s += Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            int c = Vector256<T>.Count;
            Vector256<T> a0 = Vector256<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - 4 * c; i += 4 * c)
            {
                a0 += op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i));
                a1 += op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)(i + c)), Vector256.LoadUnsafe(ref br, (nuint)(i + c)));
                a2 += op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)(i + 2 * c)), Vector256.LoadUnsafe(ref br, (nuint)(i + 2 * c)));
                a3 += op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)(i + 3 * c)), Vector256.LoadUnsafe(ref br, (nuint)(i + 3 * c)));
            }
            for (; i <= n - c; i += c)
                a0 += op.Apply(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i));
            s += Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) s += op.Apply(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
        return s;
    }

    /// <summary>Σ x_i accumulated blockwise.</summary>
    public static double Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int start = 0; start < x.Length; start += SumBlock)
            total += double.CreateTruncating(TensorPrimitives.Sum(x.Slice(start, Math.Min(SumBlock, x.Length - start))));
        return total;
    }

    /// <summary>Σ a_i·b_i accumulated blockwise.</summary>
    public static double Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => Sum(a, b, new Product<T>());

    /// <summary>Σ (x_i − mean)², the second pass of a two-pass variance.</summary>
    public static double SumSquaredDeviations<T>(ReadOnlySpan<T> x, T mean) where T : unmanaged, IFloatingPointIeee754<T>
        => Sum(x, x, new SquaredDeviation<T>(mean));

    /// <summary>Σ g_i·(x_i − mean).</summary>
    public static double DotCentered<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T mean) where T : unmanaged, IFloatingPointIeee754<T>
        => Sum(g, x, new CenteredProduct<T>(mean));

    /// <summary>(Σ g_i, Σ g_i·(x_i − mean)) in one pass: the two sums every normalisation backward needs.</summary>
    public static (double Sum, double DotCentered) SumAndDotCentered<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T mean)
        where T : unmanaged, IFloatingPointIeee754<T>
        => SumAndDotCentered(g, x, mean, new FirstOperand<T>());

    /// <summary>
    /// <see cref="SumAndDotCentered{T}"/> of g = relu'(y)·dy, where y = max((x − mean)·scale + shift, 0) is recomputed
    /// from x (<see cref="CenterScaleShiftRelu{T}"/>, the forward pass's own arithmetic, so the mask is the forward's
    /// bit for bit) instead of being read from a stored output or a masked copy of dy. Same blocks, same accumulators
    /// and the same order of additions as <see cref="SumAndDotCentered{T}"/> on the masked gradient, so the sums are
    /// identical to the unfused passes; one pass over dy and x instead of three buffers.
    /// </summary>
    public static (double Sum, double DotCentered) ReluMaskedSumAndDotCentered<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mean, ReluMaskedGrad<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
        => SumAndDotCentered(dy, x, mean, mask);

    /// <summary>Both of the above: g_i = <paramref name="grad"/>(dy_i, x_i), summed in blocks of <see cref="SumBlock"/>.</summary>
    private static (double Sum, double DotCentered) SumAndDotCentered<T, TGrad>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mean, TGrad grad)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TGrad : struct, ILane2<T>
    {
        int n = dy.Length;
        if (x.Length < n) throw new ArgumentException("LaneMaps.SumAndDotCentered: x shorter than the gradient.");
        double s1 = 0, s2 = 0;
        for (int start = 0; start < n; start += SumBlock)
        {
            int len = Math.Min(SumBlock, n - start);
            var (a, b) = SumAndDotCenteredBlock(dy.Slice(start, len), x.Slice(start, len), mean, grad);
            s1 += double.CreateTruncating(a);
            s2 += double.CreateTruncating(b);
        }
        return (s1, s2);
    }

    private static (T, T) SumAndDotCenteredBlock<T, TGrad>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mean, TGrad mask)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TGrad : struct, ILane2<T>
    {
        int n = dy.Length;
        ref T gr = ref MemoryMarshal.GetReference(dy);
        ref T xr = ref MemoryMarshal.GetReference(x);
        int i = 0;
        T s1 = T.Zero, s2 = T.Zero;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            int c = Vector512<T>.Count;
            var m = Vector512.Create(mean);
            Vector512<T> a1 = Vector512<T>.Zero, a2 = a1, b1 = a1, b2 = a1;
            for (; i <= n - 2 * c; i += 2 * c)
            {
                var x0 = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var x1 = Vector512.LoadUnsafe(ref xr, (nuint)(i + c));
                var g0 = mask.Apply(Vector512.LoadUnsafe(ref gr, (nuint)i), x0);
                var g1 = mask.Apply(Vector512.LoadUnsafe(ref gr, (nuint)(i + c)), x1);
                a1 += g0;
                b1 += g1;
                a2 += g0 * (x0 - m);
                b2 += g1 * (x1 - m);
            }
            for (; i <= n - c; i += c)
            {
                var xv = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var gv = mask.Apply(Vector512.LoadUnsafe(ref gr, (nuint)i), xv);
                a1 += gv;
                a2 += gv * (xv - m);
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
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var gv = mask.Apply(Vector256.LoadUnsafe(ref gr, (nuint)i), xv);
                a1 += gv;
                a2 += gv * (xv - m);
            }
            s1 += Vector256.Sum(a1);
            s2 += Vector256.Sum(a2);
        }
        for (; i < n; i++)
        {
            T xv = Unsafe.Add(ref xr, i);
            T gv = mask.Apply(Unsafe.Add(ref gr, i), xv);
            s1 += gv;
            s2 += gv * (xv - mean);
        }
        return (s1, s2);
    }

    /// <summary>g = dy unchanged: the plain <see cref="SumAndDotCentered{T}"/>.</summary>
    private readonly struct FirstOperand<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a;
        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a;
        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a;
    }

    private readonly struct Product<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T Apply(T a, T b) => a * b;
        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a * b;
        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a * b;
    }

    private readonly struct SquaredDeviation<T>(T mean) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _m = mean;
        public T Apply(T x, T unused) { T d = x - _m; return d * d; }
        public Vector256<T> Apply(Vector256<T> x, Vector256<T> unused) { var d = x - Vector256.Create(_m); return d * d; }
        public Vector512<T> Apply(Vector512<T> x, Vector512<T> unused) { var d = x - Vector512.Create(_m); return d * d; }
    }

    private readonly struct CenteredProduct<T>(T mean) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T _m = mean;
        public T Apply(T g, T x) => g * (x - _m);
        public Vector256<T> Apply(Vector256<T> g, Vector256<T> x) => g * (x - Vector256.Create(_m));
        public Vector512<T> Apply(Vector512<T> g, Vector512<T> x) => g * (x - Vector512.Create(_m));
    }
}
