using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.avg_pool2d on [N, C, H, W] or [C, H, W]. <paramref name="stride"/> defaults to the
    /// kernel size. The divisor follows PyTorch exactly: with <paramref name="countIncludePad"/> it counts the
    /// window clipped to the padded image (so ceil-mode windows hanging past the padding count less), without
    /// it only the input elements; <paramref name="divisorOverride"/> replaces both.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int[] kernelSize, int[]? stride = null, int[]? padding = null,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        x.ThrowIfDisposed();
        if (divisorOverride is <= 0)
            throw ShapeError("AvgPool2d", $"divisor override {divisorOverride} must be positive (input {x.Shape}).");
        var g = PoolGeometry.Create("AvgPool2d", x.Shape, kernelSize, stride, padding, [1, 1], ceilMode);
        var y = Tensor.Empty(g.OutShape(x.Shape), x.DType);
        var mode = new AvgMode(countIncludePad, divisorOverride ?? 0);
        if (x.DType == DType.Float32) AvgPoolKernel(x.Span<float>(), y.Span<float>(), g, mode, backward: false);
        else AvgPoolKernel(x.Span<double>(), y.Span<double>(), g, mode, backward: false);
        return GradNode.Record(y, new AvgPoolBackward(g, mode, x.Shape), x);
    }

    /// <summary>torch.nn.functional.avg_pool2d with a square kernel (stride defaults to the kernel size).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        => AvgPool2d(x, [kernelSize, kernelSize], [stride ?? kernelSize, stride ?? kernelSize], [padding, padding], ceilMode, countIncludePad);

    /// <summary>
    /// torch.nn.functional.max_pool2d on [N, C, H, W] or [C, H, W]: padding never wins (it is −∞), and within a
    /// window the first maximum in row-major order is taken (a NaN replaces it, the last NaN winning), as
    /// PyTorch's CPU kernel does. The backward pass routes each gradient to that position.
    /// </summary>
    /// <remarks>
    /// When recorded, the backward pass recomputes each window's argmax from the saved input instead of storing an
    /// index per output (PyTorch stores an int64 one). The saved input is an alias, so where the caller keeps the input
    /// anyway — a U-Net's skip, as in MGID, whose pooled inputs are also read by the decoder and by the backward pass of
    /// the convolution that consumes them — the index tensor was pure extra memory (MGID's training step: 8 pairs at
    /// 256², 42 MiB of indices per frame, and a managed array the buffer pool could not reuse). The recomputation takes
    /// the same window walk as the forward kernel, so the gradient lands where <see cref="MaxPool2dWithIndices"/>'s
    /// stored index points (ties, NaNs and padding included). <see cref="MaxPool2dWithIndices"/> keeps storing them.
    /// </remarks>
    public static Tensor MaxPool2d(Tensor x, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        // No indices are written in either case (at 512² a fresh 16 MB index array cost more in page faults than the
        // pooling itself).
        x.ThrowIfDisposed();
        var g = PoolGeometry.Create("MaxPool2d", x.Shape, kernelSize, stride, padding, dilation ?? [1, 1], ceilMode);
        var y = Tensor.Empty(g.OutShape(x.Shape), x.DType);
        if (x.DType == DType.Float32) MaxPoolKernel(x.Span<float>(), y.Span<float>(), null, g);
        else MaxPoolKernel(x.Span<double>(), y.Span<double>(), null, g);
        if (!GradNode.WillRecord(x)) return y;
        var node = new MaxPoolRecomputeBackward(g);
        node.Setup(x);
        return GradNode.Record(y, node, x);
    }

    /// <summary>torch.nn.functional.max_pool2d with a square kernel (stride defaults to the kernel size).</summary>
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => MaxPool2d(x, [kernelSize, kernelSize], [stride ?? kernelSize, stride ?? kernelSize], [padding, padding], [dilation, dilation], ceilMode);

    /// <summary>
    /// torch.nn.functional.max_pool2d(return_indices=True): the pooled values and, for each, the flat position
    /// h·W + w of the chosen element within its input plane.
    /// </summary>
    public static (Tensor Values, IndexTensor Indices) MaxPool2dWithIndices(Tensor x, int[] kernelSize, int[]? stride = null,
        int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        x.ThrowIfDisposed();
        var g = PoolGeometry.Create("MaxPool2d", x.Shape, kernelSize, stride, padding, dilation ?? [1, 1], ceilMode);
        var outShape = g.OutShape(x.Shape);
        var y = Tensor.Empty(outShape, x.DType);
        var idx = new int[outShape.NumElements];
        if (x.DType == DType.Float32) MaxPoolKernel(x.Span<float>(), y.Span<float>(), idx, g);
        else MaxPoolKernel(x.Span<double>(), y.Span<double>(), idx, g);
        var indices = new IndexTensor(outShape, idx);
        return (GradNode.Record(y, new MaxPoolBackward(g, indices, x.Shape), x), indices);
    }

    /// <summary>Planes (N·C), input and output plane sizes, kernel, stride, padding and dilation of a 2-D pooling.</summary>
    private sealed record PoolGeometry(int Planes, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int OH, int OW)
    {
        /// <summary>
        /// 2×2 windows with stride 2, no padding or dilation and every window inside the input (U-Net pooling): the
        /// windows are disjoint and full, which the fast paths of the max-pooling kernels rely on.
        /// </summary>
        public bool IsPlain2x2 => KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0 && DH == 1 && DW == 1 && 2 * OH <= H && 2 * OW <= W;

        public Shape OutShape(Shape input)
        {
            var d = input.ToArray();
            d[^2] = OH; d[^1] = OW;
            return new Shape(d);
        }

        public static PoolGeometry Create(string op, Shape x, int[] kernel, int[]? stride, int[]? padding, int[] dilation, bool ceil)
        {
            if (x.Rank is not (3 or 4))
                throw ShapeError(op, $"input must be [N, C, H, W] or [C, H, W]; got {x}.");
            var k = PoolPair(op, "kernel size", kernel, 1, x);
            // PyTorch treats an empty stride as "same as the kernel".
            var s = stride is null || stride.Length == 0 ? k : PoolPair(op, "stride", stride, 1, x);
            var p = PoolPair(op, "padding", padding ?? [0, 0], 0, x);
            var d = PoolPair(op, "dilation", dilation, 1, x);
            if (p[0] > k[0] / 2 || p[1] > k[1] / 2)
                throw ShapeError(op, $"padding {Shape.Format(p)} must be at most half the kernel size {Shape.Format(k)} (input {x}).");
            int h = x[-2], w = x[-1];
            int oh = OutputSize(h, k[0], s[0], p[0], d[0], ceil), ow = OutputSize(w, k[1], s[1], p[1], d[1], ceil);
            if (oh < 1 || ow < 1)
                throw ShapeError(op, $"input {x} is too small for kernel {Shape.Format(k)}, stride {Shape.Format(s)}, padding {Shape.Format(p)}, dilation {Shape.Format(d)}: output would be {oh}×{ow}.");
            return new PoolGeometry(x.Product(0, x.Rank - 2), h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh, ow);
        }

        /// <summary>PyTorch's pooling_output_shape: ceil mode rounds up, but the last window must start inside the input or left padding.</summary>
        private static int OutputSize(int size, int k, int s, int p, int d, bool ceil)
        {
            int span = size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
            if (span < 0) return 0;
            int o = span / s + 1;
            if (ceil && (o - 1) * s >= size + p) o--;
            return o;
        }

        private static int[] PoolPair(string op, string what, int[] v, int min, Shape x)
        {
            ArgumentNullException.ThrowIfNull(v);
            if (v.Length != 2 || v[0] < min || v[1] < min)
                throw ShapeError(op, $"{what} {Shape.Format(v)} must be two values ≥ {min} (input {x}).");
            return v;
        }
    }

    /// <summary>count_include_pad and divisor_override (0: none) of an average pooling.</summary>
    private readonly record struct AvgMode(bool CountIncludePad, int DivisorOverride);

    /// <summary>
    /// Forward: y = mean over each window. Backward (<paramref name="backward"/>): <paramref name="a"/> is the
    /// output gradient and <paramref name="b"/> the input gradient, which each window's share is added into.
    /// Planes are independent, so they are split across threads.
    /// </summary>
    private static unsafe void AvgPoolKernel<T>(ReadOnlySpan<T> a, Span<T> b, PoolGeometry g, AvgMode mode, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inPlane = g.H * g.W, outPlane = g.OH * g.OW;
        fixed (T* pa = a)
        fixed (T* pb = b)
        {
            T* xa = pa, xb = pb;
            StridedCopy.ForRanges(g.Planes, (long)outPlane * g.KH * g.KW, (start, end) =>
            {
                int h_ = g.H, w_ = g.W, oh_ = g.OH, ow_ = g.OW, kh = g.KH, kw = g.KW;
                int sh = g.SH, sw = g.SW, ph = g.PH, pw = g.PW;
                for (long p = start; p < end; p++)
                {
                    T* x = backward ? xb + p * inPlane : xa + p * inPlane;
                    T* y = backward ? xa + p * outPlane : xb + p * outPlane;
                    if (backward) new Span<T>(x, inPlane).Clear();
                    for (int oh = 0; oh < oh_; oh++)
                        for (int ow = 0; ow < ow_; ow++)
                        {
                            int h0 = oh * sh - ph, w0 = ow * sw - pw;
                            int h1 = Math.Min(h0 + kh, h_ + ph), w1 = Math.Min(w0 + kw, w_ + pw);
                            int poolSize = (h1 - h0) * (w1 - w0);
                            h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0);
                            h1 = Math.Min(h1, h_); w1 = Math.Min(w1, w_);
                            int div = mode.DivisorOverride > 0 ? mode.DivisorOverride
                                : mode.CountIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
                            T* yo = y + oh * ow_ + ow;
                            if (h1 <= h0 || w1 <= w0) { if (!backward) *yo = T.Zero; continue; }
                            if (backward)
                            {
                                T share = *yo / T.CreateTruncating(div);
                                for (int h = h0; h < h1; h++)
                                    for (int w = w0; w < w1; w++) x[h * w_ + w] += share;
                            }
                            else
                            {
                                T sum = T.Zero;
                                for (int h = h0; h < h1; h++)
                                    for (int w = w0; w < w1; w++) sum += x[h * w_ + w];
                                *yo = sum / T.CreateTruncating(div);
                            }
                        }
                }
            });
        }
    }

    /// <summary>Max pooling forward; <paramref name="indices"/> (flat in-plane positions, one per output) is filled when given.</summary>
    private static unsafe void MaxPoolKernel<T>(ReadOnlySpan<T> x, Span<T> y, int[]? indices, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inPlane = g.H * g.W, outPlane = g.OH * g.OW;
        fixed (T* px = x)
        fixed (T* py = y)
        {
            if (indices is null && g.IsPlain2x2)
            {
                T* xs2 = px, ys2 = py;
                StridedCopy.ForRanges(g.Planes, (long)outPlane * 4, (start, end) =>
                {
                    int w_ = g.W, oh_ = g.OH, ow_ = g.OW;
                    for (long p = start; p < end; p++)
                    {
                        T* xp = xs2 + p * inPlane;
                        T* yp = ys2 + p * outPlane;
                        for (int oh = 0; oh < oh_; oh++)
                        {
                            T* r0 = xp + 2 * oh * w_, r1 = r0 + w_, yr = yp + oh * ow_;
                            int ow = typeof(T) == typeof(float) && Avx512F.IsSupported ? MaxPoolRow2x2((float*)r0, (float*)r1, (float*)yr, ow_) : 0;
                            for (; ow < ow_; ow++)
                                yr[ow] = Max4(r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1], out _);
                        }
                    }
                });
                return;
            }
            T* xs = px, ys = py;
            StridedCopy.ForRanges(g.Planes, (long)outPlane * g.KH * g.KW, (start, end) =>
            {
                // Locals: stores through the output pointers would otherwise make the JIT reload every size.
                int h_ = g.H, w_ = g.W, oh_ = g.OH, ow_ = g.OW, kh = g.KH, kw = g.KW;
                int sh = g.SH, sw = g.SW, ph = g.PH, pw = g.PW, dh = g.DH, dw = g.DW;
                for (long p = start; p < end; p++)
                {
                    T* xp = xs + p * inPlane;
                    T* yp = ys + p * outPlane;
                    var ip = indices is null ? default : indices.AsSpan((int)(p * outPlane), outPlane);
                    for (int oh = 0; oh < oh_; oh++)
                    {
                        int h0 = oh * sh - ph;
                        int h1 = Math.Min(h0 + (kh - 1) * dh + 1, h_);
                        while (h0 < 0) h0 += dh;
                        for (int ow = 0; ow < ow_; ow++)
                        {
                            int w0 = ow * sw - pw;
                            int w1 = Math.Min(w0 + (kw - 1) * dw + 1, w_);
                            while (w0 < 0) w0 += dw;
                            yp[oh * ow_ + ow] = WindowMax(xp, w_, h0, h1, dh, w0, w1, dw, out int best);
                            if (!ip.IsEmpty) ip[oh * ow_ + ow] = best;
                        }
                    }
                }
            });
        }
    }

    /// <summary>
    /// The maximum of one pooling window (rows h0, h0 + dh, … below h1; columns likewise) and its flat position in the
    /// plane: the first maximum in row-major order, a NaN replacing it (the last NaN winning), as PyTorch's CPU kernel.
    /// An empty window gives −∞ and the position (h0, w0), which may lie outside the plane. Shared by the forward kernel
    /// and the recomputing backward pass, so both pick the same element.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static unsafe T WindowMax<T>(T* xp, int w_, int h0, int h1, int dh, int w0, int w1, int dw, out int best)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        best = h0 * w_ + w0;
        T max = T.NegativeInfinity;
        for (int h = h0; h < h1; h += dh)
            for (int w = w0; w < w1; w += dw)
            {
                T v = xp[h * w_ + w];
                if (v > max || T.IsNaN(v)) { max = v; best = h * w_ + w; }
            }
        return max;
    }

    /// <summary>
    /// <see cref="WindowMax"/> of a 2×2 window given as its elements in row-major order: the same comparisons in the
    /// same order (so the same winner, ties and NaNs included); <paramref name="which"/> is the winner's position 0…3.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static T Max4<T>(T a, T b, T c, T d, out int which) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.NegativeInfinity;
        which = 0;
        if (a > max || T.IsNaN(a)) { max = a; which = 0; }
        if (b > max || T.IsNaN(b)) { max = b; which = 1; }
        if (c > max || T.IsNaN(c)) { max = c; which = 2; }
        if (d > max || T.IsNaN(d)) { max = d; which = 3; }
        return max;
    }

    // Vectorised 2×2 rows (AVX-512, float32). The scalar Max4 takes data-dependent branches, which on real activations
    // mispredict about every other window: MGID's three poolings took ~0.16 s forward and as much backward per
    // training step (./bench mgid --profile). Each lane runs Max4's four comparisons in the same order (a select per
    // step: v wins when v > max or v is NaN), so values and chosen positions are the same, ±0 ties and NaNs included.

    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> OddLanes = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>One step of <see cref="Max4"/> in every lane: where v &gt; max or v is NaN, v becomes the maximum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Wins(Vector512<float> v, Vector512<float> max) =>
        Vector512.GreaterThan(v, max) | ~Vector512.Equals(v, v);

    /// <summary>Outputs 0 … 16⌊count/16⌋ of one output row of 2×2 max pooling from input rows r0, r1; returns how many it wrote.</summary>
    private static unsafe int MaxPoolRow2x2(float* r0, float* r1, float* y, int count)
    {
        int o = 0;
        for (; o + 16 <= count; o += 16)
        {
            var l0 = Vector512.Load(r0 + 2 * o);
            var h0 = Vector512.Load(r0 + 2 * o + 16);
            var l1 = Vector512.Load(r1 + 2 * o);
            var h1 = Vector512.Load(r1 + 2 * o + 16);
            var m = Vector512.Create(float.NegativeInfinity);
            var a = Avx512F.PermuteVar16x32x2(l0, EvenLanes, h0);
            m = Vector512.ConditionalSelect(Wins(a, m), a, m);
            var b = Avx512F.PermuteVar16x32x2(l0, OddLanes, h0);
            m = Vector512.ConditionalSelect(Wins(b, m), b, m);
            var c = Avx512F.PermuteVar16x32x2(l1, EvenLanes, h1);
            m = Vector512.ConditionalSelect(Wins(c, m), c, m);
            var d = Avx512F.PermuteVar16x32x2(l1, OddLanes, h1);
            m = Vector512.ConditionalSelect(Wins(d, m), d, m);
            m.Store(y + o);
        }
        return o;
    }

    /// <summary>
    /// The recomputing backward pass of <see cref="MaxPoolRow2x2"/>'s outputs: each window's winner gets dy, the other
    /// three elements 0 (rows d0, d1 of dx); returns how many outputs it handled.
    /// </summary>
    private static unsafe int MaxPoolBackwardRow2x2(float* r0, float* r1, float* dy, float* d0, float* d1, int count)
    {
        int o = 0;
        for (; o + 16 <= count; o += 16)
        {
            var l0 = Vector512.Load(r0 + 2 * o);
            var h0 = Vector512.Load(r0 + 2 * o + 16);
            var l1 = Vector512.Load(r1 + 2 * o);
            var h1 = Vector512.Load(r1 + 2 * o + 16);
            var m = Vector512.Create(float.NegativeInfinity);
            var which = Vector512<int>.Zero;
            var a = Avx512F.PermuteVar16x32x2(l0, EvenLanes, h0);
            m = Vector512.ConditionalSelect(Wins(a, m), a, m); // the winner stays 0
            var b = Avx512F.PermuteVar16x32x2(l0, OddLanes, h0);
            var wb = Wins(b, m);
            m = Vector512.ConditionalSelect(wb, b, m);
            which = Vector512.ConditionalSelect(wb.AsInt32(), Vector512.Create(1), which);
            var c = Avx512F.PermuteVar16x32x2(l1, EvenLanes, h1);
            var wc = Wins(c, m);
            m = Vector512.ConditionalSelect(wc, c, m);
            which = Vector512.ConditionalSelect(wc.AsInt32(), Vector512.Create(2), which);
            var d = Avx512F.PermuteVar16x32x2(l1, OddLanes, h1);
            var wd = Wins(d, m);
            which = Vector512.ConditionalSelect(wd.AsInt32(), Vector512.Create(3), which);

            var g = Vector512.Load(dy + o);
            var ga = Vector512.ConditionalSelect(Vector512.Equals(which, Vector512<int>.Zero).AsSingle(), g, Vector512<float>.Zero);
            var gb = Vector512.ConditionalSelect(Vector512.Equals(which, Vector512.Create(1)).AsSingle(), g, Vector512<float>.Zero);
            var gc = Vector512.ConditionalSelect(Vector512.Equals(which, Vector512.Create(2)).AsSingle(), g, Vector512<float>.Zero);
            var gd = Vector512.ConditionalSelect(Vector512.Equals(which, Vector512.Create(3)).AsSingle(), g, Vector512<float>.Zero);
            Avx512F.PermuteVar16x32x2(ga, InterleaveLow, gb).Store(d0 + 2 * o);
            Avx512F.PermuteVar16x32x2(ga, InterleaveHigh, gb).Store(d0 + 2 * o + 16);
            Avx512F.PermuteVar16x32x2(gc, InterleaveLow, gd).Store(d1 + 2 * o);
            Avx512F.PermuteVar16x32x2(gc, InterleaveHigh, gd).Store(d1 + 2 * o + 16);
        }
        return o;
    }

    /// <summary>
    /// Max pooling's backward pass without stored indices (<see cref="MaxPool2d(Tensor, int[], int[], int[], int[], bool)"/>):
    /// each window's argmax is found again in the saved input with <see cref="WindowMax"/> and its output gradient added
    /// there. Windows may overlap, so planes (not outputs) are split across threads.
    /// </summary>
    private sealed class MaxPoolRecomputeBackward(PoolGeometry geo) : GradNode
    {
        private Tensor? _x;

        public override string Name => "MaxPool2dBackward";

        public void Setup(Tensor x) => _x = Save(x);

        protected internal override Tensor?[] Backward(Tensor g)
        {
            var gx = Tensor.Empty(_x!.Shape, g.DType); // each plane is cleared by the thread that fills it
            if (g.DType == DType.Float32) Route(_x.Span<float>(), g.Span<float>(), gx.Span<float>());
            else Route(_x.Span<double>(), g.Span<double>(), gx.Span<double>());
            return [gx];
        }

        private unsafe void Route<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var g = geo;
            int inPlane = g.H * g.W, outPlane = g.OH * g.OW;
            fixed (T* px = x, pgy = gy, pgx = gx)
            {
                T* xs = px, gys = pgy, gxs = pgx;
                if (g.IsPlain2x2)
                {
                    // Disjoint 2×2 windows (MGID's pooling): every covered element is written once, the gradient or 0;
                    // only an odd last row or column lies outside every window.
                    StridedCopy.ForRanges(g.Planes, (long)outPlane * 4, (start, end) =>
                    {
                        int w_ = g.W, oh_ = g.OH, ow_ = g.OW;
                        bool partial = g.H != 2 * oh_ || w_ != 2 * ow_;
                        for (long p = start; p < end; p++)
                        {
                            T* xp = xs + p * inPlane, dxp = gxs + p * inPlane;
                            T* dyp = gys + p * outPlane;
                            if (partial) new Span<T>(dxp, inPlane).Clear();
                            for (int oh = 0; oh < oh_; oh++)
                            {
                                T* r0 = xp + 2 * oh * w_, r1 = r0 + w_;
                                T* d0 = dxp + 2 * oh * w_, d1 = d0 + w_;
                                T* dyr = dyp + oh * ow_;
                                int ow = typeof(T) == typeof(float) && Avx512F.IsSupported
                                    ? MaxPoolBackwardRow2x2((float*)r0, (float*)r1, (float*)dyr, (float*)d0, (float*)d1, ow_) : 0;
                                for (; ow < ow_; ow++)
                                {
                                    int c = 2 * ow;
                                    Max4(r0[c], r0[c + 1], r1[c], r1[c + 1], out int which);
                                    T v = dyr[ow];
                                    d0[c] = which == 0 ? v : T.Zero;
                                    d0[c + 1] = which == 1 ? v : T.Zero;
                                    d1[c] = which == 2 ? v : T.Zero;
                                    d1[c + 1] = which == 3 ? v : T.Zero;
                                }
                            }
                        }
                    });
                    return;
                }
                StridedCopy.ForRanges(g.Planes, (long)outPlane * g.KH * g.KW, (start, end) =>
                {
                    int h_ = g.H, w_ = g.W, oh_ = g.OH, ow_ = g.OW, kh = g.KH, kw = g.KW;
                    int sh = g.SH, sw = g.SW, ph = g.PH, pw = g.PW, dh = g.DH, dw = g.DW;
                    for (long p = start; p < end; p++)
                    {
                        T* xp = xs + p * inPlane, dxp = gxs + p * inPlane;
                        T* dyp = gys + p * outPlane;
                        new Span<T>(dxp, inPlane).Clear();
                        for (int oh = 0; oh < oh_; oh++)
                        {
                            int h0 = oh * sh - ph;
                            int h1 = Math.Min(h0 + (kh - 1) * dh + 1, h_);
                            while (h0 < 0) h0 += dh;
                            for (int ow = 0; ow < ow_; ow++)
                            {
                                int w0 = ow * sw - pw;
                                int w1 = Math.Min(w0 + (kw - 1) * dw + 1, w_);
                                while (w0 < 0) w0 += dw;
                                WindowMax(xp, w_, h0, h1, dh, w0, w1, dw, out int best);
                                // An empty window (ceil mode with dilation) points outside the plane and passes nothing,
                                // as the stored-index backward below.
                                if ((uint)best < (uint)inPlane) dxp[best] += dyp[oh * ow_ + ow];
                            }
                        }
                    }
                });
            }
        }
    }

    private sealed class AvgPoolBackward(PoolGeometry geo, AvgMode mode, Shape input) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var gx = Tensor.Empty(input, g.DType);
            if (g.DType == DType.Float32) AvgPoolKernel(g.Span<float>(), gx.Span<float>(), geo, mode, backward: true);
            else AvgPoolKernel(g.Span<double>(), gx.Span<double>(), geo, mode, backward: true);
            return [gx];
        }
    }

    /// <summary>Adds each output gradient at its recorded position; windows may overlap, so planes (not outputs) are parallel.</summary>
    private sealed class MaxPoolBackward(PoolGeometry geo, IndexTensor indices, Shape input) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            var gx = Tensor.Zeros(input, g.DType);
            if (g.DType == DType.Float32) Route(g.Span<float>(), gx.Span<float>());
            else Route(g.Span<double>(), gx.Span<double>());
            return [gx];
        }

        private void Route<T>(ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int inPlane = geo.H * geo.W, outPlane = geo.OH * geo.OW;
            var idx = indices.Span;
            for (int p = 0; p < geo.Planes; p++)
            {
                var dst = gx.Slice(p * inPlane, inPlane);
                // A window that holds no input element (possible only with ceil mode and dilation) keeps -inf
                // and an index outside the plane; it passes no gradient.
                for (int o = p * outPlane, e = o + outPlane; o < e; o++)
                    if ((uint)idx[o] < (uint)inPlane) dst[idx[o]] += gy[o];
            }
        }
    }
}
