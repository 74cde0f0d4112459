using System.Runtime.InteropServices;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Tensors.Kernels.Dnnl;

public sealed partial class DnnlKernels
{
    /// <summary>Cache key of a convolution chain: each stage's geometry, ReLU post-op and bias.</summary>
    internal sealed class ChainKey(ConvGeometry[] stages, bool[] relu, bool[] bias) : IEquatable<ChainKey>
    {
        public ConvGeometry[] Stages { get; } = stages;
        public bool[] Relu { get; } = relu;
        public bool[] Bias { get; } = bias;

        public bool Equals(ChainKey? other) =>
            other is not null && Stages.AsSpan().SequenceEqual(other.Stages) && Relu.AsSpan().SequenceEqual(other.Relu) && Bias.AsSpan().SequenceEqual(other.Bias);

        public override bool Equals(object? obj) => Equals(obj as ChainKey);

        public override int GetHashCode()
        {
            var h = new HashCode();
            for (int i = 0; i < Stages.Length; i++)
            {
                h.Add(Stages[i]);
                h.Add(Relu[i]);
                h.Add(Bias[i]);
            }
            return h.ToHashCode();
        }
    }

    private readonly DnnlPlanCache<ChainKey> _chainPlans = new(128);

    /// <summary>
    /// One plan for the whole chain: the input is reordered into the first convolution's layout once, every
    /// intermediate output stays in the layout oneDNN chose for it (a workspace slot; the next convolution is created
    /// for "any" source layout and in practice takes the same blocked layout, else a reorder between the two runs
    /// in order), and only the last output is reordered back to the caller's NCHW. Each stage uses the algorithm
    /// and ReLU post-op of a single <see cref="ConvForward{T}"/> / <see cref="ConvReluForward{T}"/> call.
    /// </summary>
    public override void ConvChainForward<T>(ReadOnlySpan<ConvGeometry> stages, ReadOnlySpan<bool> relu, ReadOnlySpan<bool> hasBias,
        ReadOnlySpan<T> parameters, ReadOnlySpan<T> x, Span<T> y)
    {
        if (typeof(T) != typeof(float) || stages.Length == 0 || stages[0].N == 0)
        {
            base.ConvChainForward(stages, relu, hasBias, parameters, x, y);
            return;
        }
        const string op = "ConvChainForward";
        if (relu.Length != stages.Length || hasBias.Length != stages.Length)
            throw new ArgumentException($"{op}: {stages.Length} stages need as many ReLU and bias flags (got {relu.Length} and {hasBias.Length}).");
        var offsets = new int[2 * stages.Length];
        int offset = 0;
        for (int k = 0; k < stages.Length; k++)
        {
            var g = stages[k];
            if (k > 0 && (g.N != stages[k - 1].N || g.InChannels != stages[k - 1].OutChannels || !g.InSize.AsSpan().SequenceEqual(stages[k - 1].OutSize)))
                throw new ArgumentException($"{op}: stage {k} reads [{g.N}, {g.InChannels}, {string.Join("×", g.InSize)}] but stage {k - 1} writes [{stages[k - 1].N}, {stages[k - 1].OutChannels}, {string.Join("×", stages[k - 1].OutSize)}].");
            offsets[2 * k] = offset;
            offset += g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane;
            offsets[2 * k + 1] = hasBias[k] ? offset : -1;
            if (hasBias[k]) offset += g.OutChannels;
        }
        CheckLength(op, "parameters", parameters.Length, offset);
        CheckLength(op, "x", x.Length, (long)stages[0].N * stages[0].InChannels * stages[0].InPlane);
        var lastStage = stages[^1];
        CheckLength(op, "y", y.Length, (long)lastStage.N * lastStage.OutChannels * lastStage.OutPlane);
        var key = new ChainKey(stages.ToArray(), relu.ToArray(), hasBias.ToArray());
        var px = MemoryMarshal.Cast<T, float>(x);
        var pp = MemoryMarshal.Cast<T, float>(parameters);
        var py = MemoryMarshal.Cast<T, float>(y);
        unsafe
        {
            fixed (float* xp = px, ppar = pp, yp = py)
            {
                Span<nint> user = stackalloc nint[2 + 2 * stages.Length];
                user[0] = (nint)xp;
                for (int k = 0; k < stages.Length; k++)
                {
                    user[1 + 2 * k] = (nint)(ppar + offsets[2 * k]);
                    user[2 + 2 * k] = offsets[2 * k + 1] >= 0 ? (nint)(ppar + offsets[2 * k + 1]) : 0;
                }
                user[^1] = (nint)yp;
                lock (Gate)
                {
                    ThrowIfDisposed();
                    var plan = _chainPlans.GetOrAdd(key, BuildChainPlan);
                    Run(plan, user);
                }
            }
        }
    }

    /// <remarks>
    /// The stages are created with forward_training like single convolutions, not forward_inference: for inference
    /// oneDNN 2.6 picks Winograd weights pre-transformed by a "wino_reorder" that costs 1–5 ms per layer and call (the
    /// weights are reordered on every call, see the class remarks) and brgconv kernels whose NHWC layouts force
    /// reorders between the stages.
    /// </remarks>
    private DnnlPlan BuildChainPlan(ChainKey key)
    {
        int m = key.Stages.Length;
        using var builder = NewBuilder();
        int previous = -1;
        DnnlMemoryDesc previousMd = default;
        for (int k = 0; k < m; k++)
        {
            var g = key.Stages[k];
            var d = new ConvDescs(g, plain: false, default);
            var p = ConvParameters(g);
            var attr = key.Relu[k] ? _reluAttr : _attr;
            var none = default(DnnlMemoryDesc);
            var alg = ForwardAlgorithmFor(g);
            nint pd;
            try
            {
                pd = DnnlNative.PrimitiveDescCreate(DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, alg, d.SrcAny, d.WeightsAny,
                    key.Bias[k] ? d.Bias : none, d.DstAny, p), attr, _engine, 0);
            }
            catch (DnnlException) when (alg == DnnlAlgKind.ConvolutionWinograd)
            {
                pd = DnnlNative.PrimitiveDescCreate(DnnlNative.ConvForwardDesc(DnnlPropKind.ForwardTraining, DnnlAlgKind.ConvolutionDirect, d.SrcAny,
                    d.WeightsAny, key.Bias[k] ? d.Bias : none, d.DstAny, p), attr, _engine, 0);
            }
            try
            {
                var srcMd = DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.SrcMd);
                int src;
                if (k == 0) src = builder.Input(0, d.Src, srcMd);
                else if (DnnlNative.MemoryDescEqual(previousMd, srcMd)) src = previous;
                else
                {
                    src = builder.Workspace(srcMd);
                    builder.MainReorder(previous, previousMd, src, srcMd);
                }
                int wei = builder.Input(1 + 2 * k, d.Weights, DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.WeightsMd));
                var dstMd = DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.DstMd);
                int dst = k == m - 1 ? builder.Output(1 + 2 * m, d.Dst, dstMd) : builder.Workspace(dstMd);
                if (key.Bias[k])
                    builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgWeights, wei), (DnnlConst.ArgBias, builder.User(d.Bias, 2 + 2 * k)), (DnnlConst.ArgDst, dst));
                else
                    builder.Main(pd, (DnnlConst.ArgSrc, src), (DnnlConst.ArgWeights, wei), (DnnlConst.ArgDst, dst));
                previous = dst;
                previousMd = dstMd;
            }
            finally
            {
                DnnlNative.PrimitiveDescDestroy(pd);
            }
        }
        return builder.Build();
    }
}
