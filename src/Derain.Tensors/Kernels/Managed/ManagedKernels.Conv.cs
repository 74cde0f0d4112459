using System.Numerics.Tensors;
using System.Numerics;
using Derain.Tensors.Kernels.Managed.Conv;

namespace Derain.Tensors.Kernels.Managed;

public partial class ManagedKernels
{
    /// <inheritdoc/>
    public virtual void ConvReluForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ConvForward(g, x, w, bias, y);
        TensorPrimitives.Max(y, T.Zero, y);
    }

    /// <inheritdoc/>
    public virtual void ConvChainForward<T>(ReadOnlySpan<ConvGeometry> stages, ReadOnlySpan<bool> relu, ReadOnlySpan<bool> hasBias,
        ReadOnlySpan<T> parameters, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int offset = 0;
        T[]? input = null;
        for (int k = 0; k < stages.Length; k++)
        {
            var g = stages[k];
            int wLength = g.OutChannels * (g.InChannels / g.Groups) * g.KernelPlane;
            var w = parameters.Slice(offset, wLength);
            offset += wLength;
            var b = hasBias[k] ? parameters.Slice(offset, g.OutChannels) : ReadOnlySpan<T>.Empty;
            if (hasBias[k]) offset += g.OutChannels;
            bool last = k == stages.Length - 1;
            var output = last ? null : new T[g.N * g.OutChannels * g.OutPlane];
            var src = input is null ? x : input;
            var dst = last ? y : output;
            if (relu[k]) ConvReluForward(g, src, w, b, dst);
            else ConvForward(g, src, w, b, dst);
            input = output;
        }
    }

    /// <inheritdoc/>
    public virtual unsafe void ConvForward<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new ConvPlan(g, sizeof(T), KernelBackend.Threads);
        CheckConvSpan("ConvForward", "x", x.Length, (long)p.N * p.ImageIn);
        CheckConvSpan("ConvForward", "w", w.Length, (long)p.Groups * p.GroupWeights);
        if (!bias.IsEmpty) CheckConvSpan("ConvForward", "bias", bias.Length, g.OutChannels);
        CheckConvSpan("ConvForward", "y", y.Length, (long)p.N * p.ImageOut);
        fixed (T* px = x, pw = w, pb = bias, py = y)
            ConvDriver.Forward(p, px, pw, bias.IsEmpty ? null : pb, py, KernelBackend.Threads);
    }

    /// <inheritdoc/>
    public virtual unsafe void ConvBackwardData<T>(ConvGeometry g, ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new ConvPlan(g, sizeof(T), KernelBackend.Threads);
        CheckConvSpan("ConvBackwardData", "dy", dy.Length, (long)p.N * p.ImageOut);
        CheckConvSpan("ConvBackwardData", "w", w.Length, (long)p.Groups * p.GroupWeights);
        CheckConvSpan("ConvBackwardData", "dx", dx.Length, (long)p.N * p.ImageIn);
        fixed (T* pdy = dy, pw = w, pdx = dx)
            ConvDriver.BackwardData(p, pdy, pw, pdx, KernelBackend.Threads);
    }

    /// <inheritdoc/>
    public virtual unsafe void ConvBackwardWeights<T>(ConvGeometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, Span<T> dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new ConvPlan(g, sizeof(T), KernelBackend.Threads);
        CheckConvSpan("ConvBackwardWeights", "x", x.Length, (long)p.N * p.ImageIn);
        CheckConvSpan("ConvBackwardWeights", "dy", dy.Length, (long)p.N * p.ImageOut);
        CheckConvSpan("ConvBackwardWeights", "dw", dw.Length, (long)p.Groups * p.GroupWeights);
        if (!dbias.IsEmpty) CheckConvSpan("ConvBackwardWeights", "dbias", dbias.Length, g.OutChannels);
        fixed (T* px = x, pdy = dy, pdw = dw, pdb = dbias)
            ConvDriver.BackwardWeights(p, px, pdy, pdw, dbias.IsEmpty ? null : pdb, KernelBackend.Threads);
    }

    /// <summary>The loops index through pointers, so every span must have exactly the geometry's size.</summary>
    private static void CheckConvSpan(string kernel, string name, int length, long expected)
    {
        if (length != expected)
            throw new ArgumentException($"{kernel}: {name} has {length} elements; the geometry needs {expected}.");
    }
}
