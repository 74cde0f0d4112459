using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.unfold (im2col): [N, C, H, W] (or [C, H, W]) → [N, C·kh·kw, L] where each column
    /// holds one sliding block (row index c·kh·kw + i·kw + j) and L = out_h·out_w blocks in row-major order.
    /// Zero padding is symmetric per dimension, as in PyTorch.
    /// </summary>
    public static Tensor Unfold(Tensor x, int[] kernelSize, int[]? dilation = null, int[]? padding = null, int[]? stride = null)
    {
        x.ThrowIfDisposed();
        if (x.Rank is not (3 or 4))
            throw ShapeError("Unfold", $"input must be [N, C, H, W] or [C, H, W]; got {x.Shape}.");
        bool batched = x.Rank == 4;
        int n = batched ? x.Shape[0] : 1, c = x.Shape[-3];
        var geo = UnfoldGeometry.Create("Unfold", x.Shape, n, c, x.Shape[-2], x.Shape[-1], kernelSize, dilation, padding, stride);
        int rows = c * geo.KH * geo.KW;
        var y = Tensor.Empty(batched ? new Shape(n, rows, geo.L) : new Shape(rows, geo.L), x.DType);
        if (x.DType == DType.Float32) Im2Col(x.Span<float>(), y.Span<float>(), geo);
        else Im2Col(x.Span<double>(), y.Span<double>(), geo);
        return GradNode.Record(y, new UnfoldBackward(geo, x.Shape), x);
    }

    /// <summary>torch.nn.functional.unfold with square kernel, dilation, padding and stride.</summary>
    public static Tensor Unfold(Tensor x, int kernelSize, int dilation = 1, int padding = 0, int stride = 1)
        => Unfold(x, [kernelSize, kernelSize], [dilation, dilation], [padding, padding], [stride, stride]);

    /// <summary>
    /// torch.nn.functional.fold (col2im): [N, C·kh·kw, L] (or [C·kh·kw, L]) → [N, C, H, W] with
    /// (H, W) = <paramref name="outputSize"/>; values of overlapping blocks are summed. The adjoint of
    /// <see cref="Unfold(Tensor, int[], int[], int[], int[])"/>.
    /// </summary>
    public static Tensor Fold(Tensor x, int[] outputSize, int[] kernelSize, int[]? dilation = null, int[]? padding = null, int[]? stride = null)
    {
        x.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(outputSize);
        if (x.Rank is not (2 or 3))
            throw ShapeError("Fold", $"input must be [N, C·kh·kw, L] or [C·kh·kw, L]; got {x.Shape}.");
        if (outputSize.Length != 2 || outputSize[0] < 1 || outputSize[1] < 1)
            throw ShapeError("Fold", $"output size {Shape.Format(outputSize)} must be two positive values (H, W); input {x.Shape}.");
        ArgumentNullException.ThrowIfNull(kernelSize);
        if (kernelSize.Length != 2 || kernelSize[0] < 1 || kernelSize[1] < 1)
            throw ShapeError("Fold", $"kernel size {Shape.Format(kernelSize)} must be two positive values; input {x.Shape}.");
        bool batched = x.Rank == 3;
        int n = batched ? x.Shape[0] : 1, rows = x.Shape[-2], kk = kernelSize[0] * kernelSize[1];
        if (rows % kk != 0)
            throw ShapeError("Fold", $"input {x.Shape} has {rows} rows, which is not divisible by the kernel's {kernelSize[0]}×{kernelSize[1]} = {kk} positions.");
        int c = rows / kk;
        var geo = UnfoldGeometry.Create("Fold", x.Shape, n, c, outputSize[0], outputSize[1], kernelSize, dilation, padding, stride);
        if (x.Shape[-1] != geo.L)
            throw ShapeError("Fold", $"input {x.Shape} has {x.Shape[-1]} blocks, but output size {Shape.Format(outputSize)} with this kernel, dilation, padding and stride gives {geo.OH}×{geo.OW} = {geo.L}.");
        var y = Tensor.Empty(batched ? new Shape(n, c, geo.H, geo.W) : new Shape(c, geo.H, geo.W), x.DType);
        if (x.DType == DType.Float32) Col2Im(x.Span<float>(), y.Span<float>(), geo);
        else Col2Im(x.Span<double>(), y.Span<double>(), geo);
        return GradNode.Record(y, new FoldBackward(geo, x.Shape), x);
    }

    /// <summary>torch.nn.functional.fold with square kernel, dilation, padding and stride.</summary>
    public static Tensor Fold(Tensor x, int[] outputSize, int kernelSize, int dilation = 1, int padding = 0, int stride = 1)
        => Fold(x, outputSize, [kernelSize, kernelSize], [dilation, dilation], [padding, padding], [stride, stride]);

    /// <summary>Sizes of one unfold/fold: image [N, C, H, W], kernel, dilation, padding, stride and the OH×OW block grid.</summary>
    private sealed record UnfoldGeometry(int N, int C, int H, int W, int KH, int KW, int DH, int DW, int PH, int PW, int SH, int SW, int OH, int OW)
    {
        public int L => OH * OW;

        public static UnfoldGeometry Create(string op, Shape input, int n, int c, int h, int w, int[] kernel, int[]? dilation, int[]? padding, int[]? stride)
        {
            var k = Pair(op, "kernel size", kernel, 1, input);
            var d = Pair(op, "dilation", dilation ?? [1, 1], 1, input);
            var p = Pair(op, "padding", padding ?? [0, 0], 0, input);
            var s = Pair(op, "stride", stride ?? [1, 1], 1, input);
            int oh = BlockCount(h, k[0], d[0], p[0], s[0]), ow = BlockCount(w, k[1], d[1], p[1], s[1]);
            if (oh < 1 || ow < 1)
                throw ShapeError(op, $"a {h}×{w} image with kernel {Shape.Format(k)}, dilation {Shape.Format(d)}, padding {Shape.Format(p)} and stride {Shape.Format(s)} has no complete block (input {input}).");
            return new UnfoldGeometry(n, c, h, w, k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1], oh, ow);
        }

        private static int[] Pair(string op, string what, int[] v, int min, Shape input)
        {
            ArgumentNullException.ThrowIfNull(v);
            if (v.Length != 2 || v[0] < min || v[1] < min)
                throw ShapeError(op, $"{what} {Shape.Format(v)} must be two values ≥ {min} (input {input}).");
            return v;
        }

        private static int BlockCount(int size, int k, int d, int p, int s)
        {
            int span = size + 2 * p - d * (k - 1) - 1;
            return span < 0 ? 0 : span / s + 1;
        }

        /// <summary>The output columns [lo, hi) whose input column j·DW − PW + ow·SW lies inside the image.</summary>
        public (int Lo, int Hi) ValidColumns(int j)
        {
            int w0 = j * DW - PW;
            int lo = w0 >= 0 ? 0 : Math.Min((-w0 + SW - 1) / SW, OW);
            int hi = W - w0 <= 0 ? 0 : Math.Min((W - w0 + SW - 1) / SW, OW);
            return (lo, Math.Max(lo, hi));
        }
    }

    /// <summary>
    /// One output row per (n, c, i, j): rows are independent, so they are split across threads. Sizes are
    /// copied into locals because stores through the output pointer would otherwise force the JIT to reload
    /// them from the geometry object on every element.
    /// </summary>
    private static unsafe void Im2Col<T>(ReadOnlySpan<T> x, Span<T> y, UnfoldGeometry g) where T : unmanaged
    {
        int kk = g.KH * g.KW, ckk = g.C * kk, l = g.L;
        fixed (T* px = x)
        fixed (T* py = y)
        {
            T* xs = px, ys = py;
            StridedCopy.ForRanges((long)g.N * ckk, l, (start, end) =>
            {
                int c_ = g.C, h_ = g.H, w_ = g.W, kw = g.KW, oh_ = g.OH, ow_ = g.OW;
                int sh = g.SH, sw = g.SW, ph = g.PH, pw = g.PW, dh = g.DH, dw = g.DW;
                for (long row = start; row < end; row++)
                {
                    int n = (int)(row / ckk), rc = (int)(row % ckk);
                    int c = rc / kk, i = rc % kk / kw, j = rc % kw;
                    T* plane = xs + ((long)n * c_ + c) * h_ * w_;
                    T* dst = ys + row * l;
                    var (lo, hi) = g.ValidColumns(j);
                    int w0 = j * dw - pw;
                    for (int oh = 0; oh < oh_; oh++, dst += ow_)
                    {
                        int h = oh * sh - ph + i * dh;
                        if ((uint)h >= (uint)h_) { new Span<T>(dst, ow_).Clear(); continue; }
                        for (int ow = 0; ow < lo; ow++) dst[ow] = default;
                        for (int ow = hi; ow < ow_; ow++) dst[ow] = default;
                        T* src = plane + (long)h * w_ + w0;
                        if (sw == 1) new ReadOnlySpan<T>(src + lo, hi - lo).CopyTo(new Span<T>(dst + lo, hi - lo));
                        else for (int ow = lo, si = lo * sw; ow < hi; ow++, si += sw) dst[ow] = src[si];
                    }
                }
            });
        }
    }

    /// <summary>One output plane per (n, c): every block that touches the plane adds into it, so planes are split across threads.</summary>
    private static unsafe void Col2Im<T>(ReadOnlySpan<T> x, Span<T> y, UnfoldGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kk = g.KH * g.KW, l = g.L, hw = g.H * g.W;
        fixed (T* px = x)
        fixed (T* py = y)
        {
            T* xs = px, ys = py;
            StridedCopy.ForRanges((long)g.N * g.C, (long)kk * l, (start, end) =>
            {
                int h_ = g.H, w_ = g.W, kh = g.KH, kw = g.KW, oh_ = g.OH, ow_ = g.OW;
                int sh = g.SH, sw = g.SW, ph = g.PH, pw = g.PW, dh = g.DH, dw = g.DW;
                for (long p = start; p < end; p++)
                {
                    T* plane = ys + p * hw;
                    new Span<T>(plane, hw).Clear();
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            var (lo, hi) = g.ValidColumns(j);
                            if (hi <= lo) continue;
                            int w0 = j * dw - pw;
                            T* src = xs + (p * kk + i * kw + j) * l;
                            for (int oh = 0; oh < oh_; oh++, src += ow_)
                            {
                                int h = oh * sh - ph + i * dh;
                                if ((uint)h >= (uint)h_) continue;
                                T* dst = plane + (long)h * w_ + w0;
                                if (sw == 1)
                                {
                                    var d = new Span<T>(dst + lo, hi - lo);
                                    TensorPrimitives.Add(d, new ReadOnlySpan<T>(src + lo, hi - lo), d);
                                }
                                else for (int ow = lo, di = lo * sw; ow < hi; ow++, di += sw) dst[di] += src[ow];
                            }
                        }
                }
            });
        }
    }

    private sealed class UnfoldBackward(UnfoldGeometry g, Shape input) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor grad)
        {
            var gx = Tensor.Empty(input, grad.DType);
            if (grad.DType == DType.Float32) Col2Im(grad.Span<float>(), gx.Span<float>(), g);
            else Col2Im(grad.Span<double>(), gx.Span<double>(), g);
            return [gx];
        }
    }

    private sealed class FoldBackward(UnfoldGeometry g, Shape input) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor grad)
        {
            var gx = Tensor.Empty(input, grad.DType);
            if (grad.DType == DType.Float32) Im2Col(grad.Span<float>(), gx.Span<float>(), g);
            else Im2Col(grad.Span<double>(), gx.Span<double>(), g);
            return [gx];
        }
    }
}
