using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.conv1d: x [N, Cin, L], weight [Cout, Cin/groups, k], optional bias [Cout].
    /// <paramref name="padding"/> takes an int (both sides), <see cref="ConvPadding.PerSide"/> or <see cref="ConvPadding.Same"/>.
    /// </summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1)
        => Conv("Conv1d", 1, x, weight, bias, [stride], padding, [dilation], groups);

    /// <summary>torch.nn.functional.conv2d: x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], optional bias [Cout]; one stride and dilation for both dimensions.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1)
        => Conv("Conv2d", 2, x, weight, bias, [stride, stride], padding, [dilation, dilation], groups);

    /// <summary>torch.nn.functional.conv2d with stride and dilation per dimension ([sh, sw], [dh, dw]).</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int[] stride, ConvPadding padding, int[] dilation, int groups = 1)
        => Conv("Conv2d", 2, x, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// relu(conv2d(x, weight, bias, …)) (no PyTorch counterpart; what torch.fx / oneDNN graph fusion produces). Without
    /// gradient recording the ReLU runs inside the convolution (a oneDNN post-op), so the output is written once instead
    /// of being read and written again by a separate ReLU; with recording it is <c>Relu(Conv2d(…))</c>.
    /// </summary>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1)
        => Conv2dRelu(x, weight, bias, [stride, stride], padding, [dilation, dilation], groups);

    /// <summary><see cref="Conv2dRelu(Tensor, Tensor, Tensor?, int, ConvPadding, int, int)"/> with stride and dilation per dimension.</summary>
    public static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias, int[] stride, ConvPadding padding, int[] dilation, int groups = 1)
    {
        if (GradNode.WillRecord(x, weight, bias)) return Relu(Conv2d(x, weight, bias, stride, padding, dilation, groups));
        var g = ConvGeometryFor("Conv2dRelu", 2, x, weight, bias, stride, padding, dilation, groups);
        var y = Tensor.Empty(new Shape([g.N, g.OutChannels, .. g.OutSize]), x.DType);
        var k = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
            k.ConvReluForward<float>(g, x.Span<float>(), weight.Span<float>(), bias is null ? default : bias.Span<float>(), y.Span<float>());
        else
            k.ConvReluForward<double>(g, x.Span<double>(), weight.Span<double>(), bias is null ? default : bias.Span<double>(), y.Span<double>());
        return y;
    }

    /// <summary>
    /// Consecutive 2-D convolutions (stride 1, dilation 1, one group), each optionally followed by a ReLU:
    /// x → relu?(conv(x, W₀, b₀, padding₀)) → relu?(conv(·, W₁, b₁, padding₁)) → …. Without gradient recording the chain
    /// is one backend call, which may keep the intermediate outputs in its own layout (oneDNN's blocked one) instead of
    /// converting every one to NCHW and back; with recording it is the composition of <see cref="Conv2d(Tensor, Tensor, Tensor?, int, ConvPadding, int, int)"/>
    /// and <see cref="Relu"/>.
    /// </summary>
    public static Tensor Conv2dChain(Tensor x, params (Tensor Weight, Tensor? Bias, int Padding, bool Relu)[] stages)
    {
        const string op = "Conv2dChain";
        if (stages.Length == 0) throw new ArgumentException($"{op}: needs at least one stage.", nameof(stages));
        bool record = GradNode.WillRecord(x);
        foreach (var s in stages) record |= GradNode.WillRecord(s.Weight, s.Bias);
        if (record)
        {
            var t = x;
            foreach (var s in stages)
            {
                var c = Conv2d(t, s.Weight, s.Bias, 1, s.Padding);
                t = s.Relu ? Relu(c) : c;
            }
            return t;
        }
        x.ThrowIfDisposed();
        var geometries = new ConvGeometry[stages.Length];
        var relu = new bool[stages.Length];
        var hasBias = new bool[stages.Length];
        var shape = x.Shape;
        int total = 0;
        for (int k = 0; k < stages.Length; k++)
        {
            var (w, b, pad, r) = stages[k];
            w.ThrowIfDisposed();
            b?.ThrowIfDisposed();
            CheckSameDType(op, x, w);
            if (b is not null) CheckSameDType(op, x, b);
            if (x.Rank != 4 || w.Rank != 4)
                throw ShapeError(op, $"stage {k}: input must be [N, C, H, W] and weight [Cout, Cin, kh, kw]; got input {shape}, weight {w.Shape}.");
            if (b is not null && (b.Rank != 1 || b.Shape[0] != w.Shape[0]))
                throw ShapeError(op, $"stage {k}: bias must be [{w.Shape[0]}]; got {b.Shape}.");
            var g = ConvGeometry.Create(op, shape, w.Shape, [1, 1], [1, 1], [pad, pad], [pad, pad], 1);
            geometries[k] = g;
            relu[k] = r;
            hasBias[k] = b is not null;
            total += w.NumElements + (b?.NumElements ?? 0);
            shape = new Shape(g.N, g.OutChannels, g.OutSize[0], g.OutSize[1]);
        }
        // Parameters side by side in one buffer, stage after stage (weights, then bias), as the kernel takes them.
        using var parameters = Tensor.Empty(new Shape(total), x.DType);
        var y = Tensor.Empty(shape, x.DType);
        var k2 = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
        {
            FillChainParameters<float>(stages, parameters.Span<float>());
            k2.ConvChainForward<float>(geometries, relu, hasBias, parameters.Span<float>(), x.Span<float>(), y.Span<float>());
        }
        else
        {
            FillChainParameters<double>(stages, parameters.Span<double>());
            k2.ConvChainForward<double>(geometries, relu, hasBias, parameters.Span<double>(), x.Span<double>(), y.Span<double>());
        }
        return y;
    }

    private static void FillChainParameters<T>((Tensor Weight, Tensor? Bias, int Padding, bool Relu)[] stages, Span<T> into)
        where T : unmanaged
    {
        int at = 0;
        foreach (var s in stages)
        {
            s.Weight.Span<T>().CopyTo(into[at..]);
            at += s.Weight.NumElements;
            if (s.Bias is null) continue;
            s.Bias.Span<T>().CopyTo(into[at..]);
            at += s.Bias.NumElements;
        }
    }

    /// <summary>torch.nn.functional.conv3d: x [N, Cin, D, H, W], weight [Cout, Cin/groups, kd, kh, kw], optional bias [Cout].</summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1)
        => Conv("Conv3d", 3, x, weight, bias, [stride, stride, stride], padding, [dilation, dilation, dilation], groups);

    /// <summary>torch.nn.functional.conv3d with stride and dilation per dimension ([sd, sh, sw], [dd, dh, dw]).</summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, int[] stride, ConvPadding padding, int[] dilation, int groups = 1)
        => Conv("Conv3d", 3, x, weight, bias, stride, padding, dilation, groups);

    private static Tensor Conv(string op, int spatialRank, Tensor x, Tensor weight, Tensor? bias,
        int[] stride, ConvPadding padding, int[] dilation, int groups)
    {
        var g = ConvGeometryFor(op, spatialRank, x, weight, bias, stride, padding, dilation, groups);
        var y = Tensor.Empty(new Shape([g.N, g.OutChannels, .. g.OutSize]), x.DType);
        RunConvForward(g, x, weight, bias, y);
        if (!GradNode.WillRecord(x, weight, bias)) return y;
        var node = new ConvBackward(op, g);
        node.Setup(x, weight);
        return GradNode.Record(y, node, x, weight, bias);
    }

    /// <summary>Checks a convolution's arguments and builds its geometry; every error names the op and the shapes.</summary>
    private static ConvGeometry ConvGeometryFor(string op, int sr, Tensor x, Tensor w, Tensor? bias,
        int[] stride, ConvPadding padding, int[] dilation, int groups)
    {
        x.ThrowIfDisposed();
        w.ThrowIfDisposed();
        bias?.ThrowIfDisposed();
        CheckSameDType(op, x, w);
        if (bias is not null) CheckSameDType(op, x, bias);
        return ConvGeometryFor(op, sr, x.Shape, w, bias, stride, padding, dilation, groups);
    }

    /// <summary>As above for an input of logical shape <paramref name="xShape"/> (e.g. a channel-blocked tensor's [N, C, H, W]).</summary>
    private static ConvGeometry ConvGeometryFor(string op, int sr, Shape xShape, Tensor w, Tensor? bias,
        int[] stride, ConvPadding padding, int[] dilation, int groups)
    {
        string dims = sr switch { 1 => "L", 2 => "H, W", _ => "D, H, W" };
        if (xShape.Rank != sr + 2)
            throw ShapeError(op, $"input must be [N, C, {dims}]; got {xShape} (weight {w.Shape}).");
        if (w.Rank != sr + 2)
            throw ShapeError(op, $"weight must be [Cout, Cin/groups, {sr}-D kernel]; got weight {w.Shape} for input {xShape}.");
        if (groups < 1 || xShape[1] % groups != 0 || w.Shape[0] % groups != 0)
            throw ShapeError(op, $"groups = {groups} must divide the input channels and output channels; input {xShape}, weight {w.Shape}.");
        if (w.Shape[1] * groups != xShape[1])
            throw ShapeError(op, $"weight {w.Shape} expects {w.Shape[1] * groups} input channels ({w.Shape[1]} per group × {groups} groups); input {xShape} has {xShape[1]}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != w.Shape[0]))
            throw ShapeError(op, $"bias must be [{w.Shape[0]}] for weight {w.Shape}; got {bias.Shape}.");
        if (stride.Length != sr || dilation.Length != sr)
            throw ShapeError(op, $"stride {Shape.Format(stride)} and dilation {Shape.Format(dilation)} need {sr} values each for input {xShape}.");
        if (stride.Any(s => s < 1) || dilation.Any(d => d < 1))
            throw new ArgumentException($"{op}: stride {Shape.Format(stride)} and dilation {Shape.Format(dilation)} must be at least 1.");
        var inSize = xShape.ToArray()[2..];
        var kernel = w.Shape.ToArray()[2..];
        var (begin, end) = padding.Resolve(op, inSize, kernel, stride, dilation);
        for (int i = 0; i < sr; i++)
        {
            if (ConvGeometry.OutputSize(inSize[i], kernel[i], stride[i], dilation[i], begin[i], end[i]) < 1)
                throw ShapeError(op, $"input {xShape} is smaller than weight {w.Shape}'s kernel (dilation {Shape.Format(dilation)}) with padding {padding} in spatial dimension {i}.");
        }
        return ConvGeometry.Create(op, xShape, w.Shape, stride, dilation, begin, end, groups);
    }

    /// <summary>
    /// Gradients of y = conv(x, w) + b: dx = conv's adjoint applied to dy (ConvBackwardData), dw and db from
    /// x and dy (ConvBackwardWeights), each computed only when its input needs it.
    /// </summary>
    private sealed class ConvBackward(string op, ConvGeometry geometry) : GradNode
    {
        private Tensor? _x, _w;

        public override string Name => op + "Backward";

        internal override string ProfileKey => geometry.ProfileLabel(Name);

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
                dx = Tensor.Empty(new Shape([geometry.N, geometry.InChannels, .. geometry.InSize]), gy.DType);
                RunConvBackwardData(geometry, gy, _w!, dx);
            }
            if (NeedsGrad(2)) db = Tensor.Empty(new Shape(geometry.OutChannels), gy.DType);
            if (NeedsGrad(1))
            {
                dw = Tensor.Empty(new Shape([geometry.OutChannels, geometry.InChannels / geometry.Groups, .. geometry.Kernel]), gy.DType);
                RunConvBackwardWeights(geometry, _x!, gy, dw, db);
            }
            else if (db is not null)
            {
                SumPerChannel(gy, db);
            }
            return [dx, dw, db];
        }
    }

    // ------------------------------------------------------------------ typed kernel calls (shared with ConvTranspose)

    private static void RunConvForward(ConvGeometry g, Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        var k = KernelBackend.For(x.DType);
        if (x.DType == DType.Float32)
            k.ConvForward<float>(g, x.Span<float>(), w.Span<float>(), bias is null ? default : bias.Span<float>(), y.Span<float>());
        else
            k.ConvForward<double>(g, x.Span<double>(), w.Span<double>(), bias is null ? default : bias.Span<double>(), y.Span<double>());
    }

    private static void RunConvBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx)
    {
        var k = KernelBackend.For(dy.DType);
        if (dy.DType == DType.Float32) k.ConvBackwardData<float>(g, dy.Span<float>(), w.Span<float>(), dx.Span<float>());
        else k.ConvBackwardData<double>(g, dy.Span<double>(), w.Span<double>(), dx.Span<double>());
    }

    private static void RunConvBackwardWeights(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor? dbias)
    {
        var k = KernelBackend.For(dy.DType);
        if (dy.DType == DType.Float32)
            k.ConvBackwardWeights<float>(g, x.Span<float>(), dy.Span<float>(), dw.Span<float>(), dbias is null ? default : dbias.Span<float>());
        else
            k.ConvBackwardWeights<double>(g, x.Span<double>(), dy.Span<double>(), dw.Span<double>(), dbias is null ? default : dbias.Span<double>());
    }
}
