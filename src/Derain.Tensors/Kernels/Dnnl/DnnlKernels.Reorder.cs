using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Tensors.Kernels.Dnnl;

public sealed partial class DnnlKernels
{
    /// <summary>Cache key of an NCHW ↔ aBcd16b reorder: the logical dims and the direction.</summary>
    private sealed record ReorderKey(int N, int C, int H, int W, bool ToBlocked);

    private readonly DnnlPlanCache<ReorderKey> _reorderPlans = new(128);

    /// <summary>
    /// Copies [N, C, H, W] into oneDNN's 16-channel blocked layout (<paramref name="toBlocked"/>) or back, with
    /// oneDNN's own reorder (the one its convolutions run when handed NCHW), zero-filling the padding lanes.
    /// </summary>
    internal unsafe void ReorderChannelBlocks(int n, int c, int h, int w, bool toBlocked, ReadOnlySpan<float> from, Span<float> to)
    {
        const string op = "ReorderChannelBlocks";
        long planar = (long)n * c * h * w, blocked = (long)n * StoredChannels(c, true) * h * w;
        CheckLength(op, "from", from.Length, toBlocked ? planar : blocked);
        CheckLength(op, "to", to.Length, toBlocked ? blocked : planar);
        if (planar == 0) return;
        fixed (float* pf = from, pt = to)
        {
            Span<nint> user = [(nint)pf, (nint)pt];
            lock (Gate)
            {
                ThrowIfDisposed();
                Run(_reorderPlans.GetOrAdd(new ReorderKey(n, c, h, w, toBlocked), BuildReorderPlan), user);
            }
        }
    }

    private DnnlPlan BuildReorderPlan(ReorderKey key)
    {
        Span<long> dims = [key.N, key.C, key.H, key.W];
        var plain = Plain(dims);
        var blocked = Blocked16(dims);
        using var builder = NewBuilder();
        var (fromDesc, toDesc) = key.ToBlocked ? (plain, blocked) : (blocked, plain);
        builder.MainReorder(builder.User(fromDesc, 0), fromDesc, builder.User(toDesc, 1), toDesc);
        return builder.Build();
    }
}
