using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation):
    /// x [N, Cin, L], weight [Cin, Cout/groups, k], optional bias [Cout].
    /// </summary>
    public static Tensor ConvTranspose1d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1)
        => ConvTranspose("ConvTranspose1d", 1, x, weight, bias, [stride], [padding], [outputPadding], groups, [dilation]);

    /// <summary>
    /// torch.nn.functional.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation):
    /// x [N, Cin, H, W], weight [Cin, Cout/groups, kh, kw], optional bias [Cout]. Output size per dimension:
    /// (in − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1)
        => ConvTranspose("ConvTranspose2d", 2, x, weight, bias, [stride, stride], [padding, padding], [outputPadding, outputPadding], groups, [dilation, dilation]);

    /// <summary>torch.nn.functional.conv_transpose2d with every setting given per dimension ([h, w]).</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, int[] stride, int[] padding,
        int[] outputPadding, int groups, int[] dilation)
        => ConvTranspose("ConvTranspose2d", 2, x, weight, bias, stride, padding, outputPadding, groups, dilation);

    /// <summary>torch.nn.functional.conv_transpose3d: x [N, Cin, D, H, W], weight [Cin, Cout/groups, kd, kh, kw], optional bias [Cout].</summary>
    public static Tensor ConvTranspose3d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1)
        => ConvTranspose("ConvTranspose3d", 3, x, weight, bias, [stride, stride, stride], [padding, padding, padding],
            [outputPadding, outputPadding, outputPadding], groups, [dilation, dilation, dilation]);

    /// <summary>
    /// A transposed convolution is the adjoint of the convolution C that maps its output back to its input
    /// (C: [N, Cout, out…] → [N, Cin, in…], weight [Cin, Cout/groups, k…] read as C's [out-ch, in-ch/groups, k…]).
    /// So everything runs on C's geometry with the conv kernels: forward = ConvBackwardData(C) (then + bias);
    /// input gradient = ConvForward(C) applied to dy; weight gradient = ConvBackwardWeights(C) with C's input
    /// being dy and C's output gradient being x (the roles swapped); bias gradient = per-channel sums of dy.
    /// </summary>
    private static Tensor ConvTranspose(string op, int sr, Tensor x, Tensor w, Tensor? bias,
        int[] stride, int[] padding, int[] outputPadding, int groups, int[] dilation)
    {
        var g = ConvTransposeGeometry(op, sr, x, w, bias, stride, padding, outputPadding, groups, dilation);
        var y = Tensor.Empty(new Shape([g.N, g.InChannels, .. g.InSize]), x.DType);
        RunConvBackwardData(g, x, w, y);
        if (bias is not null) AddPerChannel(y, bias);
        if (!GradNode.WillRecord(x, w, bias)) return y;
        var node = new ConvTransposeBackward(op, g);
        node.Setup(x, w);
        return GradNode.Record(y, node, x, w, bias);
    }

    /// <summary>The geometry of the convolution a transposed convolution is the adjoint of; errors name the op and shapes.</summary>
    private static ConvGeometry ConvTransposeGeometry(string op, int sr, Tensor x, Tensor w, Tensor? bias,
        int[] stride, int[] padding, int[] outputPadding, int groups, int[] dilation)
    {
        x.ThrowIfDisposed();
        w.ThrowIfDisposed();
        bias?.ThrowIfDisposed();
        CheckSameDType(op, x, w);
        if (bias is not null) CheckSameDType(op, x, bias);
        if (x.Rank != sr + 2 || w.Rank != sr + 2)
            throw ShapeError(op, $"input must be [N, Cin, {sr} spatial dims] and weight [Cin, Cout/groups, {sr}-D kernel]; got input {x.Shape}, weight {w.Shape}.");
        if (w.Shape[0] != x.Shape[1])
            throw ShapeError(op, $"weight {w.Shape} is for {w.Shape[0]} input channels; input {x.Shape} has {x.Shape[1]}.");
        if (groups < 1 || x.Shape[1] % groups != 0)
            throw ShapeError(op, $"groups = {groups} must divide the input channels; input {x.Shape}, weight {w.Shape}.");
        int outChannels = w.Shape[1] * groups;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outChannels))
            throw ShapeError(op, $"bias must be [{outChannels}] for weight {w.Shape} and {groups} groups; got {bias.Shape}.");
        if (stride.Length != sr || padding.Length != sr || outputPadding.Length != sr || dilation.Length != sr)
            throw ShapeError(op, $"stride, padding, output padding and dilation need {sr} values each for input {x.Shape}.");
        var outSize = new int[sr];
        var padEnd = new int[sr];
        bool exact = true;
        for (int i = 0; i < sr; i++)
        {
            int s = stride[i], p = padding[i], op_ = outputPadding[i], d = dilation[i], k = w.Shape[i + 2], n = x.Shape[i + 2];
            if (s < 1 || d < 1 || p < 0 || op_ < 0)
                throw new ArgumentException($"{op}: stride and dilation must be ≥ 1, padding and output padding ≥ 0.");
            if (op_ >= Math.Max(s, d))
                throw new ArgumentException($"{op}: output padding {op_} must be smaller than stride ({s}) or dilation ({d}).");
            outSize[i] = (n - 1) * s - 2 * p + d * (k - 1) + op_ + 1;
            if (outSize[i] < 1)
                throw ShapeError(op, $"input {x.Shape} with weight {w.Shape} and padding {p} gives output size {outSize[i]} in spatial dimension {i}.");
            // The adjoint convolution reads [0, out) with p zeros before; its end padding makes its output size
            // exactly n: p − output_padding when that is ≥ 0, otherwise 0 (then floor division absorbs the rest
            // whenever output_padding − p < stride).
            padEnd[i] = Math.Max(p - op_, 0);
            exact &= ConvGeometry.OutputSize(outSize[i], k, s, d, p, padEnd[i]) == n;
        }
        var convInput = new Shape([x.Shape[0], outChannels, .. outSize]);
        var g = ConvGeometry.Create(op, convInput, w.Shape, stride, dilation, padding, padEnd, groups);
        // Only when stride ≤ output_padding < dilation can the adjoint convolution have extra output positions;
        // they would read nothing of x, so the geometry is cut to x's size (a valid, smaller convolution).
        return exact ? g : g with { OutSize = x.Shape.ToArray()[2..] };
    }

    /// <summary>
    /// Gradients of y = convᵀ(x, w) + b through the adjoint convolution C (see <see cref="ConvTranspose"/>):
    /// dx = C(dy), dw = ConvBackwardWeights(C, input dy, output gradient x), db = Σ dy per channel.
    /// </summary>
    private sealed class ConvTransposeBackward(string op, ConvGeometry geometry) : GradNode
    {
        private Tensor? _x, _w;

        public override string Name => op + "Backward";

        public void Setup(Tensor x, Tensor w)
        {
            if (w.RequiresGrad) _x = Save(x);
            if (x.RequiresGrad) _w = Save(w);
        }

        protected internal override Tensor?[] Backward(Tensor gy)
        {
            Tensor? dx = null, dw = null, db = null;
            if (NeedsGrad(0))
            {
                dx = Tensor.Empty(new Shape([geometry.N, geometry.OutChannels, .. geometry.OutSize]), gy.DType);
                RunConvForward(geometry, gy, _w!, null, dx);
            }
            if (NeedsGrad(1))
            {
                dw = Tensor.Empty(new Shape([geometry.OutChannels, geometry.InChannels / geometry.Groups, .. geometry.Kernel]), gy.DType);
                RunConvBackwardWeights(geometry, gy, _x!, dw, null);
            }
            if (NeedsGrad(2))
            {
                db = Tensor.Empty(new Shape(geometry.InChannels), gy.DType);
                SumPerChannel(gy, db);
            }
            return [dx, dw, db];
        }
    }

    // ------------------------------------------------------------------ per-channel bias helpers

    /// <summary>y[n, c, …] += bias[c] in place (y was just created by the op).</summary>
    private static void AddPerChannel(Tensor y, Tensor bias)
    {
        if (y.DType == DType.Float32) AddPerChannel(y.Span<float>(), bias.Span<float>(), y.Shape[0], y.Shape.Product(2, y.Rank));
        else AddPerChannel(y.Span<double>(), bias.Span<double>(), y.Shape[0], y.Shape.Product(2, y.Rank));
    }

    private static void AddPerChannel<T>(Span<T> y, ReadOnlySpan<T> bias, int n, int plane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = bias.Length;
        for (int i = 0; i < n * c; i++)
        {
            var row = y.Slice(i * plane, plane);
            TensorPrimitives.Add(row, bias[i % c], row);
        }
    }

    /// <summary>db[c] = Σ over images and positions of g[n, c, …] (db is overwritten).</summary>
    private static void SumPerChannel(Tensor g, Tensor db)
    {
        if (g.DType == DType.Float32) SumPerChannel(g.Span<float>(), db.Span<float>(), g.Shape[0], g.Shape.Product(2, g.Rank));
        else SumPerChannel(g.Span<double>(), db.Span<double>(), g.Shape[0], g.Shape.Product(2, g.Rank));
    }

    private static void SumPerChannel<T>(ReadOnlySpan<T> g, Span<T> db, int n, int plane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = db.Length;
        db.Clear();
        for (int i = 0; i < n * c; i++) db[i % c] += TensorPrimitives.Sum(g.Slice(i * plane, plane));
    }
}
