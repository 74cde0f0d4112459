using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    // ------------------------------------------------------------------ broadcasting binary ops

    /// <summary>torch.add with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary<AddOp>("Add", a, b, new AddBackward());

    /// <summary>torch.sub with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary<SubOp>("Sub", a, b, new SubBackward());

    /// <summary>torch.mul with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary<MulOp>("Mul", a, b, new MulBackward());

    /// <summary>torch.div with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary<DivOp>("Div", a, b, new DivBackward());

    /// <summary>a + s</summary>
    public static Tensor Add(Tensor a, double s) => Affine(a, 1, s);

    /// <summary>a · s</summary>
    public static Tensor Mul(Tensor a, double s) => Affine(a, s, 0);

    /// <summary>-a</summary>
    public static Tensor Neg(Tensor a) => Affine(a, -1, 0);

    /// <summary>scale·a + shift, one pass (the backward of scalar add/mul/neg).</summary>
    public static Tensor Affine(Tensor a, double scale, double shift)
    {
        a.ThrowIfDisposed();
        var y = Tensor.Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32) AffineKernel(a.Span<float>(), (float)scale, (float)shift, y.Span<float>());
        else AffineKernel(a.Span<double>(), scale, shift, y.Span<double>());
        return GradNode.Record(y, new AffineBackward(scale), a);
    }

    private static unsafe void AffineKernel<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, blocks = (n + UnaryBlock - 1) / UnaryBlock;
        if (blocks <= 1) { AffineRun(x, scale, shift, y); return; }
        fixed (T* px = x, py = y)
        {
            var xs = new Ptr<T>(px, n);
            var ys = new Ptr<T>(py, n);
            RangeParallel.For(blocks, UnaryBlock, (s, e) =>
            {
                int a = s * UnaryBlock, len = Math.Min(n, e * UnaryBlock) - a;
                AffineRun<T>(xs.Slice(a, len), scale, shift, ys.Slice(a, len));
            });
        }
    }

    private static void AffineRun<T>(ReadOnlySpan<T> x, T scale, T shift, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (shift == T.Zero) TensorPrimitives.Multiply(x, scale, y);
        else if (scale == T.One) TensorPrimitives.Add(x, shift, y);
        else { TensorPrimitives.Multiply(x, scale, y); TensorPrimitives.Add(y, shift, y); }
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or a clear error naming the op.</summary>
    public static Shape BroadcastShape(string op, Shape a, Shape b)
    {
        int r = Math.Max(a.Rank, b.Rank);
        var dims = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Rank) >= 0 ? a[i - (r - a.Rank)] : 1;
            int db = i - (r - b.Rank) >= 0 ? b[i - (r - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw ShapeError(op, $"shapes {a} and {b} cannot be broadcast together (dimension {i}: {da} vs {db}).");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    private static Tensor Binary<TOp>(string op, Tensor a, Tensor b, BinaryBackward node) where TOp : IBinaryOp
    {
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        CheckSameDType(op, a, b);
        var shape = a.Shape == b.Shape ? a.Shape : BroadcastShape(op, a.Shape, b.Shape);
        var y = Tensor.Empty(shape, a.DType);
        if (a.DType == DType.Float32) BroadcastKernel<float, TOp>(a.Span<float>(), a.Shape, b.Span<float>(), b.Shape, y.Span<float>(), shape);
        else BroadcastKernel<double, TOp>(a.Span<double>(), a.Shape, b.Span<double>(), b.Shape, y.Span<double>(), shape);
        if (GradNode.WillRecord(a, b)) node.Setup(a, b);
        return GradNode.Record(y, node, a, b);
    }

    /// <summary>
    /// Applies a binary op with broadcasting. The innermost output dimension is processed as a span (both
    /// operands contiguous, or one of them a repeated scalar) so the work vectorises.
    /// </summary>
    private static void BroadcastKernel<T, TOp>(ReadOnlySpan<T> a, Shape sa, ReadOnlySpan<T> b, Shape sb, Span<T> y, Shape sy)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOp
    {
        if (sa == sb || a.Length == 1 || b.Length == 1) { ElementwiseKernel<T, TOp>(a, b, y); return; }
        int r = sy.Rank;
        var stA = BroadcastStrides(sa, sy);
        var stB = BroadcastStrides(sb, sy);
        // Fold the trailing dimensions in which both operands are contiguous into one inner run; when the
        // last dimension is broadcast in one operand, run over it with that operand's value as a scalar.
        int inner = 1, firstInner = r;
        for (int d = r - 1; d >= 0; d--)
        {
            bool contiguous = sy[d] == 1 || (stA[d] == inner && stB[d] == inner);
            if (!contiguous) break;
            inner *= sy[d];
            firstInner = d;
        }
        bool aRun = true, bRun = true;
        if (firstInner == r)
        {
            inner = sy[r - 1];
            firstInner = r - 1;
            aRun = stA[r - 1] != 0;
            bRun = stB[r - 1] != 0;
        }
        int outer = inner == 0 ? 0 : sy.NumElements / inner;
        var idx = new int[r];
        int offA = 0, offB = 0;
        for (int o = 0; o < outer; o++)
        {
            var ys = y.Slice(o * inner, inner);
            if (aRun && bRun) TOp.Apply(a.Slice(offA, inner), b.Slice(offB, inner), ys);
            else if (aRun) TOp.Apply(a.Slice(offA, inner), b[offB], ys);
            else if (bRun) TOp.Apply(a[offA], b.Slice(offB, inner), ys);
            else ys.Fill(TOp.Apply(a[offA], b[offB]));
            // advance the outer multi-index (dimensions before firstInner)
            for (int d = firstInner - 1; d >= 0; d--)
            {
                idx[d]++;
                offA += stA[d];
                offB += stB[d];
                if (idx[d] < sy[d]) break;
                offA -= stA[d] * sy[d];
                offB -= stB[d] * sy[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// A binary op on operands of the output's shape or scalars, in blocks of <see cref="UnaryBlock"/> elements
    /// spread over the kernel threads (each output element is computed alone, so the split changes no bits).
    /// </summary>
    private static unsafe void ElementwiseKernel<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOp
    {
        int n = y.Length, blocks = (n + UnaryBlock - 1) / UnaryBlock;
        if (blocks <= 1) { ElementwiseRun<T, TOp>(a, b, y); return; }
        fixed (T* pa = a, pb = b, py = y)
        {
            var xa = new Ptr<T>(pa, a.Length);
            var xb = new Ptr<T>(pb, b.Length);
            var ys = new Ptr<T>(py, n);
            RangeParallel.For(blocks, UnaryBlock, (s, e) =>
            {
                int start = s * UnaryBlock, len = Math.Min(n, e * UnaryBlock) - start;
                ElementwiseRun<T, TOp>(xa.Length == 1 ? xa.All : xa.Slice(start, len), xb.Length == 1 ? xb.All : xb.Slice(start, len), ys.Slice(start, len));
            });
        }
    }

    private static void ElementwiseRun<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOp
    {
        if (a.Length == y.Length && b.Length == y.Length) TOp.Apply(a, b, y);
        else if (a.Length == 1 && b.Length == y.Length) TOp.Apply(a[0], b, y);
        else if (b.Length == 1 && a.Length == y.Length) TOp.Apply(a, b[0], y);
        else y.Fill(TOp.Apply(a[0], b[0]));
    }

    /// <summary>Strides of <paramref name="s"/> read as <paramref name="target"/> (0 on broadcast dims).</summary>
    internal static int[] BroadcastStrides(Shape s, Shape target)
    {
        int r = target.Rank;
        var st = new int[r];
        var own = s.Strides();
        for (int i = 0; i < r; i++)
        {
            int j = i - (r - s.Rank);
            st[i] = j >= 0 && s[j] != 1 ? own[j] : 0;
        }
        return st;
    }

    /// <summary>Sums <paramref name="g"/> down to <paramref name="target"/> (the adjoint of broadcasting).</summary>
    internal static Tensor SumToShape(Tensor g, Shape target)
    {
        if (g.Shape == target) return g.Detach();
        var y = Tensor.Zeros(target, g.DType);
        if (g.DType == DType.Float32) SumToKernel(g.Span<float>(), g.Shape, y.Span<float>(), target);
        else SumToKernel(g.Span<double>(), g.Shape, y.Span<double>(), target);
        return y;
    }

    private static void SumToKernel<T>(ReadOnlySpan<T> g, Shape sg, Span<T> y, Shape sy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = sg.Rank;
        var st = BroadcastStrides(sy, sg);
        int last = sg[r - 1];
        bool lastKept = st[r - 1] != 0;
        int outer = sg.NumElements / Math.Max(last, 1);
        var idx = new int[r];
        int off = 0;
        for (int o = 0; o < outer; o++)
        {
            var row = g.Slice(o * last, last);
            if (lastKept) TensorPrimitives.Add(y.Slice(off, last), row, y.Slice(off, last));
            else y[off] += TensorPrimitives.Sum(row);
            for (int d = r - 2; d >= 0; d--)
            {
                idx[d]++;
                off += st[d];
                if (idx[d] < sg[d]) break;
                off -= st[d] * sg[d];
                idx[d] = 0;
            }
        }
    }

    // ------------------------------------------------------------------ op structs

    private interface IBinaryOp
    {
        static abstract T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private readonly struct AddOp : IBinaryOp
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
        public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
        public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(b, a, y);
    }

    private readonly struct SubOp : IBinaryOp
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
        public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
        public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
    }

    private readonly struct MulOp : IBinaryOp
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
        public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
        public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(b, a, y);
    }

    private readonly struct DivOp : IBinaryOp
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
        public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
        public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
    }

    // ------------------------------------------------------------------ backward nodes

    private abstract class BinaryBackward : GradNode
    {
        protected Shape ShapeA, ShapeB;
        public virtual void Setup(Tensor a, Tensor b) { ShapeA = a.Shape; ShapeB = b.Shape; }
    }

    private sealed class AddBackward : BinaryBackward
    {
        protected internal override Tensor?[] Backward(Tensor g) =>
            [NeedsGrad(0) ? SumToShape(g, ShapeA) : null, NeedsGrad(1) ? SumToShape(g, ShapeB) : null];
    }

    private sealed class SubBackward : BinaryBackward
    {
        protected internal override Tensor?[] Backward(Tensor g)
        {
            Tensor? gb = null;
            if (NeedsGrad(1)) { using var s = SumToShape(g, ShapeB); gb = Neg(s); }
            return [NeedsGrad(0) ? SumToShape(g, ShapeA) : null, gb];
        }
    }

    private sealed class MulBackward : BinaryBackward
    {
        private Tensor? _a, _b;
        public override void Setup(Tensor a, Tensor b)
        {
            base.Setup(a, b);
            if (b.RequiresGrad) _a = Save(a);
            if (a.RequiresGrad) _b = Save(b);
        }
        protected internal override Tensor?[] Backward(Tensor g)
        {
            Tensor? ga = null, gb = null;
            if (NeedsGrad(0)) { using var t = Mul(g, _b!); ga = SumToShape(t, ShapeA); }
            if (NeedsGrad(1)) { using var t = Mul(g, _a!); gb = SumToShape(t, ShapeB); }
            return [ga, gb];
        }
    }

    private sealed class DivBackward : BinaryBackward
    {
        private Tensor? _a, _b;
        public override void Setup(Tensor a, Tensor b)
        {
            base.Setup(a, b);
            _b = Save(b);
            if (b.RequiresGrad) _a = Save(a);
        }
        protected internal override Tensor?[] Backward(Tensor g)
        {
            Tensor? ga = null, gb = null;
            using var gOverB = Div(g, _b!);
            if (NeedsGrad(0)) ga = SumToShape(gOverB, ShapeA);
            if (NeedsGrad(1))
            {
                // d(a/b)/db = -a/b² → -(g/b)·(a/b)
                using var aOverB = Div(_a!, _b!);
                using var t = Mul(gOverB, aOverB);
                using var s = SumToShape(t, ShapeB);
                gb = Neg(s);
            }
            return [ga, gb];
        }
    }

    private sealed class AffineBackward(double scale) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [Affine(g, scale, 0)];
    }

    // ------------------------------------------------------------------ copies

    /// <summary>torch.clone: a new buffer with the same values; gradients pass through.</summary>
    public static Tensor Clone(Tensor a)
    {
        a.ThrowIfDisposed();
        var y = Tensor.Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32) a.Span<float>().CopyTo(y.Span<float>());
        else a.Span<double>().CopyTo(y.Span<double>());
        return GradNode.Record(y, new IdentityBackward(), a);
    }

    /// <summary>torch.Tensor.to(dtype): converts; gradients are converted back.</summary>
    public static Tensor Cast(Tensor a, DType dtype)
    {
        a.ThrowIfDisposed();
        if (a.DType == dtype) return Clone(a);
        var y = Tensor.Empty(a.Shape, dtype);
        if (dtype == DType.Float64)
        {
            var s = a.Span<float>(); var d = y.Span<double>();
            for (int i = 0; i < s.Length; i++) d[i] = s[i];
        }
        else
        {
            var s = a.Span<double>(); var d = y.Span<float>();
            for (int i = 0; i < s.Length; i++) d[i] = (float)s[i];
        }
        return GradNode.Record(y, new CastBackward(a.DType), a);
    }

    private sealed class IdentityBackward : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [g];
    }

    private sealed class CastBackward(DType to) : GradNode
    {
        protected internal override Tensor?[] Backward(Tensor g) => [Cast(g, to)];
    }
}

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator +(Tensor a, double s) => Ops.Add(a, s);
    public static Tensor operator -(Tensor a, double s) => Ops.Add(a, -s);
    public static Tensor operator *(Tensor a, double s) => Ops.Mul(a, s);
    public static Tensor operator *(double s, Tensor a) => Ops.Mul(a, s);
    public static Tensor operator /(Tensor a, double s) => Ops.Mul(a, 1.0 / s);
    public static Tensor operator -(Tensor a) => Ops.Neg(a);
}
