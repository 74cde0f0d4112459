using System.Numerics;
using System.Runtime.InteropServices;
using Derain.Tensors.Kernels.Dnnl.Native;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors.Kernels.Dnnl;

public sealed partial class DnnlKernels
{
    /// <summary>Which pass of a convolution a plan runs.</summary>
    internal enum ConvPass { Forward, BackwardData, BackwardWeights }

    /// <summary>
    /// Cache key: the geometry, the pass, whether a bias (or bias gradient) is involved, the algorithm, whether the plan
    /// runs on plain layouts, which activations the caller holds channel-blocked (<see cref="Layouts"/>), and whether a
    /// forward pass ends in a ReLU post-op.
    /// </summary>
    internal sealed record ConvKey(ConvGeometry Geometry, ConvPass Pass, bool Bias, DnnlAlgKind Algorithm, bool Plain, ConvLayouts Layouts = default, bool Relu = false);

    /// <summary>
    /// Which of a convolution's activations the caller holds in oneDNN's 16-channel blocked layout (aBcd16b, see
    /// <see cref="Ops.ToChannelBlocks"/>) or channels-last (acdb, NHWC, see <see cref="Ops.ToChannelsLast"/>) instead
    /// of NCHW: the input side (src, diff_src) and the output side (dst, diff_dst). Blocked sides need no reorder when
    /// the primitive's chosen layout is that one, which it is for the direct AVX-512 kernels whenever the channel
    /// count is at least 16. When either side is channels-last the primitive itself runs on NHWC source and
    /// destination (oneDNN's NHWC kernels: only the channel tail of a vector is wasted, where the blocked kernels pad
    /// input and output channels to whole blocks), and only the other side, if it differs, is reordered.
    /// </summary>
    internal readonly record struct ConvLayouts(ActivationLayout Input, ActivationLayout Output)
    {
        public bool InputBlocked => Input == ActivationLayout.Blocked;

        public bool OutputBlocked => Output == ActivationLayout.Blocked;

        public bool Any => Input != ActivationLayout.Planar || Output != ActivationLayout.Planar;

        /// <summary>The primitive runs on NHWC activations.</summary>
        public bool ChannelsLast => Input == ActivationLayout.ChannelsLast || Output == ActivationLayout.ChannelsLast;
    }

    /// <summary>
    /// Which passes run on the caller's plain row-major layouts (no reorders; oneDNN then uses its GEMM-based
    /// convolution) instead of the blocked layouts its direct kernels prefer. Defaults to <see cref="PlainLayoutPays"/>;
    /// tests and <c>./bench convprobe</c> replace it.
    /// </summary>
    internal Func<ConvGeometry, ConvPass, bool> PlainLayout { get; set; } = PlainLayoutPays;

    /// <summary>
    /// Forward and backward data of ungrouped 1×1 convolutions with stride 1 and no padding: on NCHW each is one
    /// matrix product per sample ([Cout, Cin]·[Cin, H·W]), so the reorders to and from the blocked layout (as many
    /// bytes moved as the activations hold, and 16-channel padding) are pure overhead. <c>./bench convprobe</c>,
    /// best of 5, blocked vs plain: 84→48 at 128², N 8: forward 22.6 vs 10.8 ms, backward data 20.7 vs 10.2 (thread
    /// CPU, one thread), 23.0 vs 9.6 and 24.5 vs 10.1 (wall, two threads); 84→48 at 512², N 1: 56.4 vs 38.0 and
    /// 49.2 vs 36.5; 64→64 at 256², N 1: 8.7 vs 4.8 and 7.2 vs 4.4; 256→64 at 64², N 8: 14.1 vs 6.8 and 10.4 vs 6.5.
    /// Backward weights stays blocked where either side has more than one 16-channel block: there the GEMM form lost
    /// (84→48 at 128²: 34.9 vs 19.9). With at most 16 channels on both sides the blocks are mostly padding and it wins:
    /// 12→6 at 128², N 8 (EEVRSR's conv2): 1.73 vs 0.70 ms (thread CPU, one thread), 2.40 vs 0.60 (wall, two threads).
    /// </summary>
    internal static bool PlainLayoutPays(ConvGeometry g, ConvPass pass) =>
        (pass != ConvPass.BackwardWeights || (g.InChannels <= Ops.ChannelBlock && g.OutChannels <= Ops.ChannelBlock)) &&
        g.Groups == 1 && g.KernelPlane == 1 &&
        g.Stride.All(s => s == 1) && g.PadBegin.All(p => p == 0) && g.PadEnd.All(p => p == 0);

    private readonly DnnlPlanCache<ConvKey> _convPlans = new(512);

    /// <summary>
    /// Algorithm per pass. "auto" lets oneDNN pick Winograd (jit_wino_4x3) where its heuristics expect a gain,
    /// which for backward weights happens on large layers (e.g. 3×3 64→64 at 256², N = 1). There, alternating the
    /// two on this Zen 5 machine gave 22.0 ms (auto) vs 32.2 ms (direct) median on one thread and 19.4 vs 30.9 ms
    /// best on two. For forward and backward data, auto chose the same direct kernels on every shape probed, so
    /// direct is kept there: Winograd's extra rounding buys nothing.
    /// </summary>
    /// <summary>Forward algorithm for every layer, or null (the default) for <see cref="DefaultForwardAlgorithm"/> per layer.</summary>
    internal DnnlAlgKind? ForwardAlgorithm { get; set; }

    /// <summary>
    /// Winograd (oneDNN's jit_avx512_core_fp32_wino_conv_4x3, F(4×4, 3×3): 36 multiplications per 16 outputs instead
    /// of 144) for ungrouped 3×3 stride-1 convolutions with at least 64 input and output channels, padding ≤ 1 and a
    /// plane of at least 64×64; direct elsewhere (and wherever oneDNN has no Winograd implementation for the shape).
    /// oneDNN's own "auto" never picks it for the forward pass, but requested explicitly it is faster on MGID's layers
    /// (docs/mgid.md, Benchmark). Its rounding differs from the direct sum by about 1e-6 relative.
    /// </summary>
    internal static DnnlAlgKind DefaultForwardAlgorithm(ConvGeometry g) =>
        g.SpatialRank == 2 && g.Groups == 1 && g.Kernel.All(k => k == 3) && g.Stride.All(s => s == 1) && g.Dilation.All(d => d == 1) &&
        g.PadBegin.All(p => p <= 1) && g.PadEnd.All(p => p <= 1) && g.InChannels >= 64 && g.OutChannels >= 64 &&
        g.OutPlane >= 64 * 64
            ? DnnlAlgKind.ConvolutionWinograd
            : DnnlAlgKind.ConvolutionDirect;

    private DnnlAlgKind ForwardAlgorithmFor(ConvGeometry g) => ForwardAlgorithm ?? DefaultForwardAlgorithm(g);

    /// <summary>Backward-data algorithm for every layer, or null (the default) for <see cref="DefaultBackwardDataAlgorithm"/> per layer.</summary>
    internal DnnlAlgKind? BackwardDataAlgorithm { get; set; }

    /// <summary>
    /// Winograd wherever <see cref="DefaultForwardAlgorithm"/> takes it (3×3, stride 1, ≥ 64 channels, planes ≥ 64²),
    /// direct elsewhere. oneDNN's "auto" picked the direct kernels for backward data on every shape probed, but
    /// requested explicitly jit_wino_4x3's backward data is faster on MGID's training layers: the training step
    /// (8 pairs at 256², <c>./bench mgid-steps --only train</c>, two quiet runs each, interleaved) took 4.74–4.79 s
    /// (process CPU 8.64 s) against 5.32–5.98 s (9.75–10.57 s) with direct backward data. Its rounding differs from the
    /// direct sum by about 1e-6 relative, as the forward pass's; shapes without a Winograd implementation fall back
    /// to direct (<see cref="BuildConvPlan"/>).
    /// </summary>
    internal static DnnlAlgKind DefaultBackwardDataAlgorithm(ConvGeometry g) => DefaultForwardAlgorithm(g);

    private DnnlAlgKind BackwardDataAlgorithmFor(ConvGeometry g) => BackwardDataAlgorithm ?? DefaultBackwardDataAlgorithm(g);

    /// <summary>
    /// Backward-weights algorithm for every layer, or null (the default) for <see cref="DefaultBackwardWeightsAlgorithm"/>
    /// per layer.
    /// </summary>
    internal DnnlAlgKind? BackwardWeightsAlgorithm { get; set; }

    /// <summary>
    /// "auto" only where both channel counts (per group) are at least 64, direct below. oneDNN's heuristics also pick
    /// Winograd for the EEVRSR training layers with 12–48 channels, where it loses (<c>./bench convprobe</c>, thread
    /// CPU time at one thread, best of 5: 3×3 48→12 at 128², N 8: 17.6 ms vs 14.0 ms direct; 24→8 at 64², N 32:
    /// 14.8 vs 11.2; 24→24 at 64², N 32: 17.6 vs 17.7) and rounds more.
    /// </summary>
    internal static DnnlAlgKind DefaultBackwardWeightsAlgorithm(ConvGeometry g) =>
        g.InChannels / g.Groups >= 64 && g.OutChannels / g.Groups >= 64 ? DnnlAlgKind.ConvolutionAuto : DnnlAlgKind.ConvolutionDirect;

    private DnnlAlgKind BackwardWeightsAlgorithmFor(ConvGeometry g) => BackwardWeightsAlgorithm ?? DefaultBackwardWeightsAlgorithm(g);

    /// <summary>Most convolution plans kept (least recently used evicted first).</summary>
    internal int ConvPlanCapacity
    {
        get { lock (Gate) return _convPlans.Capacity; }
        set { lock (Gate) _convPlans.Capacity = value; }
    }

    /// <summary>Number of cached convolution plans.</summary>
    internal int ConvPlanCount
    {
        get { lock (Gate) return _convPlans.Count; }
    }

    /// <summary>oneDNN's implementation name for a cached plan (null if not cached), for diagnostics and the probe.</summary>
    internal string? ConvImplementation(ConvGeometry g, ConvPass pass, bool bias)
    {
        var alg = pass switch
        {
            ConvPass.Forward => ForwardAlgorithmFor(g),
            ConvPass.BackwardData => BackwardDataAlgorithmFor(g),
            _ => BackwardWeightsAlgorithmFor(g),
        };
        lock (Gate) return _convPlans.Find(new ConvKey(g, pass, bias, alg, PlainLayout(g, pass)))?.Implementation;
    }

    /// <inheritdoc/>
    public override void ConvForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
    {
        if (typeof(T) != typeof(float))
        {
            base.ConvForward(g, x, w, bias, y);
            return;
        }
        ConvForwardF32(g, default, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(w), MemoryMarshal.Cast<T, float>(bias),
            MemoryMarshal.Cast<T, float>(y));
    }

    /// <inheritdoc/>
    public override void ConvBackwardData<T>(ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
    {
        if (typeof(T) != typeof(float))
        {
            base.ConvBackwardData(g, dy, w, dx);
            return;
        }
        ConvBackwardDataF32(g, default, MemoryMarshal.Cast<T, float>(dy), MemoryMarshal.Cast<T, float>(w), MemoryMarshal.Cast<T, float>(dx));
    }

    /// <inheritdoc/>
    public override void ConvBackwardWeights<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
    {
        if (typeof(T) != typeof(float))
        {
            base.ConvBackwardWeights(g, x, dy, dw, dbias);
            return;
        }
        ConvBackwardWeightsF32(g, default, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(dy), MemoryMarshal.Cast<T, float>(dw),
            MemoryMarshal.Cast<T, float>(dbias));
    }

    /// <inheritdoc/>
    public override void ConvReluForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
    {
        if (typeof(T) != typeof(float))
        {
            base.ConvReluForward(g, x, w, bias, y);
            return;
        }
        ConvForwardF32(g, default, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(w), MemoryMarshal.Cast<T, float>(bias),
            MemoryMarshal.Cast<T, float>(y), relu: true);
    }

    /// <summary>Forward convolution with the activations in the given layouts (2-D convolutions only when any is blocked), optionally ending in a ReLU post-op.</summary>
    internal unsafe void ConvForwardF32(ConvGeometry g, ConvLayouts layouts, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, bool relu = false)
    {
        const string op = "ConvForward";
        CheckConvLengths(op, g, layouts, x.Length, "x", w.Length, y.Length, "y");
        bool hasBias = !bias.IsEmpty;
        if (hasBias) CheckLength(op, "bias", bias.Length, g.OutChannels);
        if (g.N == 0) return;
        if (!relu && SingleOutputPays(g, layouts))
        {
            SingleOutputConv.Forward(g, x, w, bias, y, vectorized: true);
            return;
        }
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            Span<nint> user = [(nint)px, (nint)pw, (nint)pb, (nint)py];
            lock (Gate)
            {
                ThrowIfDisposed();
                var plan = _convPlans.GetOrAdd(new ConvKey(g, ConvPass.Forward, hasBias, ForwardAlgorithmFor(g), !layouts.Any && PlainLayout(g, ConvPass.Forward), layouts, relu), BuildConvPlan);
                Run(plan, user);
            }
        }
    }

    /// <summary>Backward data with the activation gradients in the given layouts.</summary>
    internal unsafe void ConvBackwardDataF32(ConvGeometry g, ConvLayouts layouts, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        const string op = "ConvBackwardData";
        CheckConvLengths(op, g, layouts, dx.Length, "dx", w.Length, dy.Length, "dy");
        if (g.N == 0) return;
        if (FewChannelPays(g, layouts))
        {
            FewChannelConv.BackwardData(g, layouts.OutputBlocked, dy, w, dx, vectorized: true);
            return;
        }
        if (!layouts.Any && TransposedBackwardDataPays(g))
        {
            ConvBackwardDataAsForward(g, dy, w, dx);
            return;
        }
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            Span<nint> user = [(nint)pdy, (nint)pw, (nint)pdx];
            lock (Gate)
            {
                ThrowIfDisposed();
                var plan = _convPlans.GetOrAdd(new ConvKey(g, ConvPass.BackwardData, false, BackwardDataAlgorithmFor(g), !layouts.Any && PlainLayout(g, ConvPass.BackwardData), layouts), BuildConvPlan);
                Run(plan, user);
            }
        }
    }

    /// <summary>
    /// Backward data of a stride-1, undilated, ungrouped convolution with one output channel (EEVRSR's residual
    /// 6→1 5×5 layer): oneDNN's backward-data kernel gets a single input-channel block to work on and ran ten times
    /// slower than the equivalent forward convolution (<c>./bench convprobe</c>, N 8 at 128²: 6→1 backward data
    /// 10.2–16.8 ms vs 1→6 forward 1.2 ms at one thread, 6.4–7.0 vs 0.9 at two).
    /// </summary>
    internal static bool TransposedBackwardDataPays(ConvGeometry g) =>
        g.OutChannels == 1 && g.Groups == 1 && g.KernelPlane > 1 && g.Stride.All(s => s == 1) && g.Dilation.All(d => d == 1) &&
        g.PadBegin.Zip(g.Kernel).All(p => p.First <= p.Second - 1) && g.PadEnd.Zip(g.Kernel).All(p => p.First <= p.Second - 1);

    /// <summary>
    /// Whether the shapes oneDNN handles poorly run on Derain's own AVX-512 kernels (<see cref="FewChannelPays"/>,
    /// <see cref="SingleOutputPays"/>): on by default; tests and <c>./bench convprobe</c> switch it off to compare.
    /// </summary>
    internal bool OwnConvKernels { get; set; } = true;

    /// <summary>
    /// Forward and backward weights of stride-1 2-D convolutions with one output channel on NCHW (EEVRSR's residual
    /// 6→1 5×5 layer) run on <see cref="SingleOutputConv"/> when the CPU has AVX-512: oneDNN has one output block there
    /// and ran at about 10 GFLOP/s (<c>./bench convprobe</c>, N 8 at 128², one thread: forward 4.3 ms, backward
    /// weights 6.9 ms). Not with a ReLU post-op or channel-blocked activations.
    /// </summary>
    internal bool SingleOutputPays(ConvGeometry g, ConvLayouts layouts) =>
        OwnConvKernels && SingleOutputConv.VectorizedAvailable && !layouts.Any && SingleOutputConv.Applies(g);

    /// <summary>
    /// Backward data and weights of 2-D convolutions with 1–8 NCHW input channels and 17–32 output channels
    /// (EEVRSR's first layers: 5→24 5×5 stride 2, 2→24 and 5→24 7×7) on CPUs with AVX-512. oneDNN 2.6 has no
    /// 16-channel input block to vectorise over there and reached 35–45 GFLOP/s per core (its backward-weights choice
    /// is its AVX2 kernel). Without AVX-512 oneDNN's kernels stay: <see cref="FewChannelConv"/>'s portable path is
    /// scalar (it is the exact oracle for the vector one) and would be slower than them.
    /// </summary>
    internal bool FewChannelPays(ConvGeometry g, ConvLayouts layouts) =>
        OwnConvKernels && FewChannelConv.VectorizedAvailable && !layouts.InputBlocked && !layouts.ChannelsLast && FewChannelConv.Applies(g);

    /// <summary>
    /// dx as the forward convolution of dy with the spatially flipped kernel (the adjoint of a stride-1 correlation
    /// is the correlation with the flipped kernel and the complementary padding k − 1 − pad on each side), the
    /// roles of input and output channels swapped: [1, Cin, k…] read as [Cin, 1, k…] once each kernel plane is
    /// reversed (reversing the flattened plane flips every spatial axis). Same sums, in the forward kernel's order.
    /// </summary>
    private void ConvBackwardDataAsForward(ConvGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        int sr = g.SpatialRank, plane = g.KernelPlane;
        var padBegin = new int[sr];
        var padEnd = new int[sr];
        for (int i = 0; i < sr; i++)
        {
            padBegin[i] = g.Kernel[i] - 1 - g.PadBegin[i];
            padEnd[i] = g.Kernel[i] - 1 - g.PadEnd[i];
        }
        var adjoint = new ConvGeometry(g.N, g.OutChannels, g.InChannels, 1, g.OutSize, g.Kernel, g.Stride, g.Dilation, padBegin, padEnd, g.InSize);
        var flipped = new float[w.Length];
        for (int c = 0; c < g.InChannels; c++)
        {
            w.Slice(c * plane, plane).CopyTo(flipped.AsSpan(c * plane, plane));
            flipped.AsSpan(c * plane, plane).Reverse();
        }
        ConvForwardF32(adjoint, default, dy, flipped, default, dx);
    }

    /// <summary>Backward weights (and bias) with the input and the output gradient in the given layouts.</summary>
    internal unsafe void ConvBackwardWeightsF32(ConvGeometry g, ConvLayouts layouts, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias)
    {
        const string op = "ConvBackwardWeights";
        CheckConvLengths(op, g, layouts, x.Length, "x", dw.Length, dy.Length, "dy");
        bool hasBias = !dbias.IsEmpty;
        if (hasBias) CheckLength(op, "dbias", dbias.Length, g.OutChannels);
        if (g.N == 0)
        {
            // No samples: the gradients are sums over nothing.
            dw.Clear();
            dbias.Clear();
            return;
        }
        if (SingleOutputPays(g, layouts))
        {
            SingleOutputConv.BackwardWeights(g, x, dy, dw, dbias, vectorized: true);
            return;
        }
        if (FewChannelPays(g, layouts))
        {
            FewChannelConv.BackwardWeights(g, layouts.OutputBlocked, x, dy, dw, dbias, vectorized: true);
            return;
        }
        fixed (float* px = x, pdy = dy, pdw = dw, pdb = dbias)
        {
            Span<nint> user = [(nint)px, (nint)pdy, (nint)pdw, (nint)pdb];
            lock (Gate)
            {
                ThrowIfDisposed();
                var plan = _convPlans.GetOrAdd(new ConvKey(g, ConvPass.BackwardWeights, hasBias, BackwardWeightsAlgorithmFor(g), !layouts.Any && PlainLayout(g, ConvPass.BackwardWeights), layouts), BuildConvPlan);
                Run(plan, user);
            }
        }
    }

    private static void CheckConvLengths(string op, ConvGeometry g, ConvLayouts layouts, int xLength, string xName, int wLength, int yLength, string yName)
    {
        if (layouts.Any && g.SpatialRank != 2)
            throw new ArgumentException($"{op}: channel-blocked and channels-last activations are implemented for 2-D convolutions only; got {g.SpatialRank}-D.");
        CheckLength(op, xName, xLength, (long)g.N * StoredChannels(g.InChannels, layouts.InputBlocked) * g.InPlane);
        CheckLength(op, "w", wLength, (long)g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane);
        CheckLength(op, yName, yLength, (long)g.N * StoredChannels(g.OutChannels, layouts.OutputBlocked) * g.OutPlane);
    }

    /// <summary>Channels a buffer holds: the count itself, or rounded up to whole 16-channel blocks.</summary>
    private static long StoredChannels(int channels, bool blocked) =>
        blocked ? (channels + Ops.ChannelBlock - 1) / Ops.ChannelBlock * (long)Ops.ChannelBlock : channels;

    /// <summary>
    /// Caller argument indices per pass: forward (x, w, bias, y), backward data (dy, w, dx), backward weights
    /// (x, dy, dw, dbias) — the order the F32 methods above fill their pointer lists in.
    /// </summary>
    private DnnlPlan BuildConvPlan(ConvKey key)
    {
        var g = key.Geometry;
        var d = new ConvDescs(g, key.Plain, key.Layouts);
        var p = ConvParameters(g);
        using var builder = NewBuilder();
        // Backward passes need the forward primitive descriptor as a hint (it tells oneDNN which forward
        // implementation and layouts the gradients belong to); it is not executed.
        nint hint = 0, pd = 0;
        try
        {
            var none = default(DnnlMemoryDesc);
            if (key.Pass != ConvPass.Forward)
            {
                var fwdHint = DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, key.Algorithm, d.SrcAny, d.WeightsAny,
                    key.Bias ? d.Bias : none, d.DstAny, p);
                hint = DnnlNative.PrimitiveDescCreate(fwdHint, _attr, _engine, 0);
            }
            switch (key.Pass)
            {
                case ConvPass.Forward:
                {
                    var desc = DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, key.Algorithm, d.SrcAny, d.WeightsAny,
                        key.Bias ? d.Bias : none, d.DstAny, p);
                    var attr = key.Relu ? _reluAttr : _attr;
                    try
                    {
                        pd = DnnlNative.PrimitiveDescCreate(desc, attr, _engine, 0);
                    }
                    catch (DnnlException) when (key.Algorithm == DnnlAlgKind.ConvolutionWinograd)
                    {
                        // No Winograd implementation for this shape on this CPU: the direct convolution computes the same.
                        desc = DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, DnnlAlgKind.ConvolutionDirect, d.SrcAny, d.WeightsAny,
                            key.Bias ? d.Bias : none, d.DstAny, p);
                        pd = DnnlNative.PrimitiveDescCreate(desc, attr, _engine, 0);
                    }
                    int src = builder.Input(0, d.Src, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.SrcMd));
                    int wei = builder.Input(1, d.Weights, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.WeightsMd));
                    int dst = builder.Output(3, d.Dst, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DstMd));
                    if (key.Bias)
                        builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgWeights, wei), (DnnlConst.ArgBias, builder.User(d.Bias, 2)), (DnnlConst.ArgDst, dst));
                    else
                        builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgWeights, wei), (DnnlConst.ArgDst, dst));
                    break;
                }
                case ConvPass.BackwardData:
                {
                    var desc = DnnlNative.ConvBackwardDataDesc(key.Algorithm, d.SrcAny, d.WeightsAny, d.DstAny, p);
                    try
                    {
                        pd = DnnlNative.PrimitiveDescCreate(desc, _attr, _engine, hint);
                    }
                    catch (DnnlException) when (key.Algorithm == DnnlAlgKind.ConvolutionWinograd)
                    {
                        // No Winograd implementation for this shape: the direct one (with a direct forward hint).
                        DnnlNative.PrimitiveDescDestroy(hint);
                        hint = 0;
                        var directHint = DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, DnnlAlgKind.ConvolutionDirect, d.SrcAny, d.WeightsAny,
                            key.Bias ? d.Bias : none, d.DstAny, p);
                        hint = DnnlNative.PrimitiveDescCreate(directHint, _attr, _engine, 0);
                        desc = DnnlNative.ConvBackwardDataDesc(DnnlAlgKind.ConvolutionDirect, d.SrcAny, d.WeightsAny, d.DstAny, p);
                        pd = DnnlNative.PrimitiveDescCreate(desc, _attr, _engine, hint);
                    }
                    int diffDst = builder.Input(0, d.Dst, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DiffDstMd));
                    int wei = builder.Input(1, d.Weights, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.WeightsMd));
                    int diffSrc = builder.Output(2, d.Src, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DiffSrcMd));
                    builder.Main(pd, (DnnlConst.ArgDiffDst, diffDst), (DnnlConst.ArgWeights, wei), (DnnlConst.ArgDiffSrc, diffSrc));
                    break;
                }
                default:
                {
                    var desc = DnnlNative.ConvBackwardWeightsDesc(key.Algorithm, d.SrcAny, d.WeightsAny, key.Bias ? d.Bias : none, d.DstAny, p);
                    pd = DnnlNative.PrimitiveDescCreate(desc, _attr, _engine, hint);
                    int src = builder.Input(0, d.Src, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.SrcMd));
                    int diffDst = builder.Input(1, d.Dst, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DiffDstMd));
                    int diffWei = builder.Output(2, d.Weights, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DiffWeightsMd));
                    if (key.Bias)
                        builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgDiffDst, diffDst), (DnnlConst.ArgDiffWeights, diffWei),
                            (DnnlConst.ArgDiffBias, builder.User(d.Bias, 3)));
                    else
                        builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgDiffDst, diffDst), (DnnlConst.ArgDiffWeights, diffWei));
                    break;
                }
            }
            return builder.Build();
        }
        finally
        {
            if (pd != 0) DnnlNative.PrimitiveDescDestroy(pd);
            if (hint != 0) DnnlNative.PrimitiveDescDestroy(hint);
        }
    }

    /// <summary>oneDNN's spatial parameters: its dilation counts the gaps (0 = dense), ours the step (1 = dense).</summary>
    private static DnnlNative.ConvParams ConvParameters(ConvGeometry g)
    {
        var p = default(DnnlNative.ConvParams);
        for (int i = 0; i < g.SpatialRank; i++)
        {
            p.Strides[i] = g.Stride[i];
            p.Dilates[i] = g.Dilation[i] - 1;
            p.PaddingL[i] = g.PadBegin[i];
            p.PaddingR[i] = g.PadEnd[i];
        }
        return p;
    }

    /// <summary>
    /// Plain (caller) and "any" (oneDNN's choice) descriptors of a convolution's tensors. Grouped weights are
    /// described as [G, Cout/G, Cin/G, k…], which has the same row-major bytes as [Cout, Cin/G, k…].
    /// </summary>
    private readonly struct ConvDescs
    {
        public readonly DnnlMemoryDesc Src, SrcAny, Weights, WeightsAny, Dst, DstAny, Bias;

        public ConvDescs(ConvGeometry g, bool plain, ConvLayouts layouts)
        {
            int sr = g.SpatialRank;
            Span<long> src = stackalloc long[sr + 2];
            Span<long> dst = stackalloc long[sr + 2];
            src[0] = dst[0] = g.N;
            src[1] = g.InChannels;
            dst[1] = g.OutChannels;
            for (int i = 0; i < sr; i++)
            {
                src[i + 2] = g.InSize[i];
                dst[i + 2] = g.OutSize[i];
            }
            bool grouped = g.Groups > 1;
            Span<long> wei = stackalloc long[sr + (grouped ? 3 : 2)];
            int o = 0;
            if (grouped) wei[o++] = g.Groups;
            wei[o++] = g.OutChannels / g.Groups;
            wei[o++] = g.InChannels / g.Groups;
            for (int i = 0; i < sr; i++) wei[o + i] = g.Kernel[i];

            // The caller's layouts; the primitive still chooses its own ("any"), and the plan reorders only where
            // they differ.
            Src = Described(src, layouts.Input);
            Dst = Described(dst, layouts.Output);
            if (layouts.ChannelsLast)
            {
                // Given "any", oneDNN picks the blocked layouts; its NHWC kernels run only when asked for by name.
                SrcAny = ChannelsLast(src);
                DstAny = ChannelsLast(dst);
            }
            else
            {
                SrcAny = plain ? Src : DnnlNative.MemoryDescByTag(src, DnnlDataType.F32, DnnlFormatTag.Any);
                DstAny = plain ? Dst : DnnlNative.MemoryDescByTag(dst, DnnlDataType.F32, DnnlFormatTag.Any);
            }
            Weights = Plain(wei);
            WeightsAny = plain ? Weights : DnnlNative.MemoryDescByTag(wei, DnnlDataType.F32, DnnlFormatTag.Any);
            Bias = Plain([g.OutChannels]);
        }
    }

    /// <summary>oneDNN's aBcd16b: [N, ⌈C/16⌉, H, W, 16] row-major, channels padded with zeros to whole blocks.</summary>
    private static DnnlMemoryDesc Blocked16(ReadOnlySpan<long> dims) =>
        dims.Length == 4
            ? DnnlNative.MemoryDescByTag(dims, DnnlDataType.F32, DnnlFormatTag.ABcd16b)
            : throw new ArgumentException($"channel-blocked activations need rank 4; got rank {dims.Length}.");

    /// <summary>The descriptor of activations with the logical dims [N, C, …] held in <paramref name="layout"/>.</summary>
    private static DnnlMemoryDesc Described(ReadOnlySpan<long> dims, ActivationLayout layout) => layout switch
    {
        ActivationLayout.Blocked => Blocked16(dims),
        ActivationLayout.ChannelsLast => ChannelsLast(dims),
        _ => Plain(dims),
    };

    /// <summary>oneDNN's acdb (NHWC): [N, H, W, C] row-major for the logical dims [N, C, H, W].</summary>
    private static DnnlMemoryDesc ChannelsLast(ReadOnlySpan<long> dims) =>
        dims.Length == 4
            ? DnnlNative.MemoryDescByTag(dims, DnnlDataType.F32, DnnlFormatTag.Acdb)
            : throw new ArgumentException($"channels-last activations need rank 4; got rank {dims.Length}.");

    /// <summary>A dense row-major descriptor of the given dims.</summary>
    private static DnnlMemoryDesc Plain(ReadOnlySpan<long> dims)
    {
        var tag = dims.Length switch
        {
            1 => DnnlFormatTag.A,
            2 => DnnlFormatTag.Ab,
            3 => DnnlFormatTag.Abc,
            4 => DnnlFormatTag.Abcd,
            5 => DnnlFormatTag.Abcde,
            6 => DnnlFormatTag.Abcdef,
            _ => throw new ArgumentException($"no plain format tag for rank {dims.Length}."),
        };
        return DnnlNative.MemoryDescByTag(dims, DnnlDataType.F32, tag);
    }
}
