using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Kernels.Managed.Gemm;

namespace Derain.Tensors.Kernels.Managed.Conv;

/// <summary>
/// Convolution as im2col + GEMM, per image and group, over chunks of output rows:
/// forward y_g = W_g · col(x_g); backward data dx_g = col⁻¹(W_gᵀ · dy_g) (col2vol adds the columns back);
/// backward weights dW_g = Σ_images dy_g · col(x_g)ᵀ. Work is split across threads at the coarsest level that
/// has enough pieces (images × groups, else inside each GEMM and im2col), and every output element is summed
/// in a fixed order, so results do not depend on scheduling.
/// </summary>
internal static unsafe class ConvDriver
{
    public static void Forward<T>(ConvPlan p, T* x, T* w, T* bias, T* y, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint xp = (nint)x, wp = (nint)w, bp = (nint)bias, yp = (nint)y;
        ForEachImageGroup(p, threads, (n, g, inner) => ForwardGroup(p, (T*)xp, (T*)wp, (T*)bp, (T*)yp, n, g, inner));
    }

    public static void BackwardData<T>(ConvPlan p, T* dy, T* w, T* dx, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint dyp = (nint)dy, wp = (nint)w, dxp = (nint)dx;
        ForEachImageGroup(p, threads, (n, g, inner) => BackwardDataGroup(p, (T*)dyp, (T*)wp, (T*)dxp, n, g, inner));
    }

    /// <summary>dw (and dbias unless null) are overwritten.</summary>
    public static void BackwardWeights<T>(ConvPlan p, T* x, T* dy, T* dw, T* dbias, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int weights = p.Groups * p.GroupWeights, channels = p.Groups * p.OutChannelsPerGroup;
        new Span<T>(dw, weights).Clear();
        if (dbias != null) new Span<T>(dbias, channels).Clear();
        nint xp = (nint)x, dyp = (nint)dy, dwp = (nint)dw, dbp = (nint)dbias;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };

        if (threads > 1 && p.Groups >= threads)
        {
            // Groups own disjoint slices of dw: each task sums every image for its group.
            Parallel.For(0, p.Groups, options, g =>
            {
                for (int n = 0; n < p.N; n++) BackwardWeightsGroup(p, (T*)xp, (T*)dyp, (T*)dwp, (T*)dbp, n, g, 1);
            });
            return;
        }
        if (threads > 1 && p.N > 1)
        {
            // Contiguous image ranges sum into their own partials, added up in range order afterwards.
            int parts = Math.Min(threads, p.N);
            int partLength = weights + (dbias != null ? channels : 0);
            using var partials = ScratchBuffers.Rent<T>((long)(parts - 1) * partLength);
            nint pp = (nint)partials.Pointer<T>();
            new Span<T>((T*)pp, (parts - 1) * partLength).Clear();
            Parallel.For(0, parts, options, part =>
            {
                T* pdw = part == 0 ? (T*)dwp : (T*)pp + (long)(part - 1) * partLength;
                T* pdb = dbias == null ? null : part == 0 ? (T*)dbp : pdw + weights;
                for (int n = part * p.N / parts; n < (part + 1) * p.N / parts; n++)
                    for (int g = 0; g < p.Groups; g++) BackwardWeightsGroup(p, (T*)xp, (T*)dyp, pdw, pdb, n, g, 1);
            });
            for (int part = 1; part < parts; part++)
            {
                T* pdw = (T*)pp + (long)(part - 1) * partLength;
                var total = new Span<T>(dw, weights);
                TensorPrimitives.Add(total, new ReadOnlySpan<T>(pdw, weights), total);
                if (dbias != null)
                {
                    var totalBias = new Span<T>(dbias, channels);
                    TensorPrimitives.Add(totalBias, new ReadOnlySpan<T>(pdw + weights, channels), totalBias);
                }
            }
            return;
        }
        for (int n = 0; n < p.N; n++)
            for (int g = 0; g < p.Groups; g++) BackwardWeightsGroup(p, x, dy, dw, dbias, n, g, threads);
    }

    /// <summary>
    /// Runs body(image, group, innerThreads) for every pair: in parallel over pairs when there are at least as
    /// many pairs as threads (each then single-threaded), else one pair at a time with parallel GEMMs inside.
    /// </summary>
    private static void ForEachImageGroup(ConvPlan p, int threads, Action<int, int, int> body)
    {
        int pairs = p.N * p.Groups;
        if (threads > 1 && pairs >= threads)
        {
            Parallel.For(0, pairs, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => body(t / p.Groups, t % p.Groups, 1));
            return;
        }
        for (int t = 0; t < pairs; t++) body(t / p.Groups, t % p.Groups, threads);
    }

    private static void ForwardGroup<T>(ConvPlan p, T* x, T* w, T* bias, T* y, int n, int g, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        T* xg = x + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* yg = y + (long)n * p.ImageOut + (long)g * cout * p.OutPlane;
        T* wg = w + (long)g * p.GroupWeights;
        T beta = T.Zero;
        if (bias != null)
        {
            // Start from the bias and let the GEMM accumulate onto it (beta = 1): no second pass over y.
            for (int co = 0; co < cout; co++) new Span<T>(yg + (long)co * p.OutPlane, p.OutPlane).Fill(bias[g * cout + co]);
            beta = T.One;
        }
        if (p.IsPointwise)
        {
            ManagedGemm.Run(false, false, cout, p.OutPlane, cin, T.One, wg, cin, xg, p.InPlane, beta, yg, p.OutPlane, threads);
            return;
        }
        using var lease = ScratchBuffers.Rent<T>((long)p.ColumnRows * p.RowsPerChunk * p.OW);
        T* col = lease.Pointer<T>();
        for (int r0 = 0; r0 < p.OutRows; r0 += p.RowsPerChunk)
        {
            int rows = Math.Min(p.RowsPerChunk, p.OutRows - r0), len = rows * p.OW;
            Im2Col.Gather(p, xg, col, r0, rows, threads);
            ManagedGemm.Run(false, false, cout, len, p.ColumnRows, T.One, wg, p.ColumnRows, col, len, beta, yg + (long)r0 * p.OW, p.OutPlane, threads);
        }
    }

    private static void BackwardDataGroup<T>(ConvPlan p, T* dy, T* w, T* dx, int n, int g, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        T* dxg = dx + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* dyg = dy + (long)n * p.ImageOut + (long)g * cout * p.OutPlane;
        T* wg = w + (long)g * p.GroupWeights;
        if (p.IsPointwise)
        {
            ManagedGemm.Run(true, false, cin, p.InPlane, cout, T.One, wg, cin, dyg, p.OutPlane, T.Zero, dxg, p.InPlane, threads);
            return;
        }
        // Strided or small convolutions leave some inputs untouched, and overlapping taps add up: start at zero.
        new Span<T>(dxg, cin * p.InPlane).Clear();
        using var lease = ScratchBuffers.Rent<T>((long)p.ColumnRows * p.RowsPerChunk * p.OW);
        T* col = lease.Pointer<T>();
        for (int r0 = 0; r0 < p.OutRows; r0 += p.RowsPerChunk)
        {
            int rows = Math.Min(p.RowsPerChunk, p.OutRows - r0), len = rows * p.OW;
            ManagedGemm.Run(true, false, p.ColumnRows, len, cout, T.One, wg, p.ColumnRows, dyg + (long)r0 * p.OW, p.OutPlane, T.Zero, col, len, threads);
            Im2Col.ScatterAdd(p, col, dxg, r0, rows, threads);
        }
    }

    /// <summary>Adds image n's contribution for group g into dw (and dbias unless null).</summary>
    private static void BackwardWeightsGroup<T>(ConvPlan p, T* x, T* dy, T* dw, T* dbias, int n, int g, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        T* xg = x + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* dyg = dy + (long)n * p.ImageOut + (long)g * cout * p.OutPlane;
        T* dwg = dw + (long)g * p.GroupWeights;
        if (dbias != null)
            for (int co = 0; co < cout; co++) dbias[g * cout + co] += TensorPrimitives.Sum(new ReadOnlySpan<T>(dyg + (long)co * p.OutPlane, p.OutPlane));
        if (p.IsPointwise)
        {
            ManagedGemm.Run(false, true, cout, cin, p.OutPlane, T.One, dyg, p.OutPlane, xg, p.InPlane, T.One, dwg, cin, threads);
            return;
        }
        using var lease = ScratchBuffers.Rent<T>((long)p.ColumnRows * p.RowsPerChunk * p.OW);
        T* col = lease.Pointer<T>();
        for (int r0 = 0; r0 < p.OutRows; r0 += p.RowsPerChunk)
        {
            int rows = Math.Min(p.RowsPerChunk, p.OutRows - r0), len = rows * p.OW;
            Im2Col.Gather(p, xg, col, r0, rows, threads);
            ManagedGemm.Run(false, true, cout, p.ColumnRows, len, T.One, dyg + (long)r0 * p.OW, p.OutPlane, col, len, T.One, dwg, p.ColumnRows, threads);
        }
    }
}
