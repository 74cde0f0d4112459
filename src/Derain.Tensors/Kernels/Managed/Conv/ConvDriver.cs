using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Kernels.Managed.Gemm;

namespace Derain.Tensors.Kernels.Managed.Conv;

/// <summary>
/// Convolution as im2col + GEMM over chunks of output rows (see <see cref="ConvPlan"/>), per image and group:
/// forward y_g = W_g · col(x_g); backward data dx_g = col2vol(W_gᵀ · dy_g); backward weights
/// dW_g = Σ dy_g · col(x_g)ᵀ. Threads take whole pieces of work (image, group, chunk) with single-threaded
/// GEMMs inside, which scales better than parallelising each small GEMM; only when there are fewer pieces than
/// threads do the GEMMs and im2col run in parallel themselves. Every output element is summed in an order
/// fixed by the plan and thread count, never by scheduling.
/// </summary>
internal static unsafe class ConvDriver
{
    public static void Forward<T>(ConvPlan p, T* x, T* w, T* bias, T* y, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint xp = (nint)x, wp = (nint)w, bp = (nint)bias, yp = (nint)y;
        // Chunks of one image and group write disjoint column ranges of y, so all pieces are independent.
        ForEach(p.N * p.Groups * p.Chunks, threads, (piece, inner) =>
            ForwardChunk(p, (T*)xp, (T*)wp, (T*)bp, (T*)yp, piece / p.Chunks / p.Groups, piece / p.Chunks % p.Groups, piece % p.Chunks, inner));
    }

    public static void BackwardData<T>(ConvPlan p, T* dy, T* w, T* dx, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint dyp = (nint)dy, wp = (nint)w, dxp = (nint)dx;
        if (p.IsPointwise)
        {
            // Without taps, chunks of dx are disjoint too.
            ForEach(p.N * p.Groups * p.Chunks, threads, (piece, inner) =>
                BackwardDataPointwise(p, (T*)dyp, (T*)wp, (T*)dxp, piece / p.Chunks / p.Groups, piece / p.Chunks % p.Groups, piece % p.Chunks, inner));
            return;
        }
        // Neighbouring chunks scatter into overlapping input rows, so a piece is a whole image and group.
        ForEach(p.N * p.Groups, threads, (piece, inner) => BackwardDataGroup(p, (T*)dyp, (T*)wp, (T*)dxp, piece / p.Groups, piece % p.Groups, inner));
    }

    /// <summary>dw (and dbias unless null) are overwritten.</summary>
    public static void BackwardWeights<T>(ConvPlan p, T* x, T* dy, T* dw, T* dbias, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int weights = p.Groups * p.GroupWeights, channels = p.Groups * p.OutChannelsPerGroup;
        new Span<T>(dw, weights).Clear();
        if (dbias != null) new Span<T>(dbias, channels).Clear();
        nint xp = (nint)x, dyp = (nint)dy, dwp = (nint)dw, dbp = (nint)dbias;

        if (threads > 1 && p.Groups >= threads)
        {
            // Groups own disjoint slices of dw: each task sums every image and chunk for its group.
            Parallel.For(0, p.Groups, Options(threads), g =>
            {
                for (int n = 0; n < p.N; n++)
                    for (int c = 0; c < p.Chunks; c++) BackwardWeightsChunk(p, (T*)xp, (T*)dyp, (T*)dwp, (T*)dbp, n, g, c, 1);
            });
            return;
        }
        int items = p.N * p.Chunks;
        if (threads > 1 && items > 1)
        {
            // Contiguous ranges of (image, chunk) sum into their own partials, added up in range order afterwards.
            int parts = Math.Min(threads, items);
            int partLength = weights + (dbias != null ? channels : 0);
            using var partials = ScratchBuffers.Rent<T>((long)(parts - 1) * partLength);
            nint pp = (nint)partials.Pointer<T>();
            new Span<T>((T*)pp, (parts - 1) * partLength).Clear();
            Parallel.For(0, parts, Options(threads), part =>
            {
                T* pdw = part == 0 ? (T*)dwp : (T*)pp + (long)(part - 1) * partLength;
                T* pdb = dbias == null ? null : part == 0 ? (T*)dbp : pdw + weights;
                for (int item = part * items / parts; item < (part + 1) * items / parts; item++)
                    for (int g = 0; g < p.Groups; g++)
                        BackwardWeightsChunk(p, (T*)xp, (T*)dyp, pdw, pdb, item / p.Chunks, g, item % p.Chunks, 1);
            });
            for (int part = 1; part < parts; part++)
            {
                T* pdw = (T*)pp + (long)(part - 1) * partLength;
                var total = new Span<T>(dw, weights);
                TensorPrimitives.Add(total, new ReadOnlySpan<T>(pdw, weights), total);
                if (dbias == null) continue;
                var totalBias = new Span<T>(dbias, channels);
                TensorPrimitives.Add(totalBias, new ReadOnlySpan<T>(pdw + weights, channels), totalBias);
            }
            return;
        }
        for (int n = 0; n < p.N; n++)
            for (int g = 0; g < p.Groups; g++)
                for (int c = 0; c < p.Chunks; c++) BackwardWeightsChunk(p, x, dy, dw, dbias, n, g, c, threads);
    }

    /// <summary>
    /// Runs body(piece, innerThreads) for every piece: in parallel over pieces when there are at least as many as
    /// threads (each then single-threaded), else one at a time with parallel GEMMs and im2col inside.
    /// </summary>
    private static void ForEach(int pieces, int threads, Action<int, int> body)
    {
        if (threads > 1 && pieces >= threads)
        {
            Parallel.For(0, pieces, Options(threads), piece => body(piece, 1));
            return;
        }
        for (int piece = 0; piece < pieces; piece++) body(piece, threads);
    }

    private static ParallelOptions Options(int threads) => new() { MaxDegreeOfParallelism = threads };

    private static void ForwardChunk<T>(ConvPlan p, T* x, T* w, T* bias, T* y, int n, int g, int chunk, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        var (r0, rows) = p.ChunkRows(chunk);
        int len = rows * p.OW;
        long offset = (long)r0 * p.OW;
        T* xg = x + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* yc = y + (long)n * p.ImageOut + (long)g * cout * p.OutPlane + offset;
        T* wg = w + (long)g * p.GroupWeights;
        T beta = T.Zero;
        if (bias != null)
        {
            // Start from the bias and let the GEMM accumulate onto it (beta = 1): no second pass over y.
            for (int co = 0; co < cout; co++) new Span<T>(yc + (long)co * p.OutPlane, len).Fill(bias[g * cout + co]);
            beta = T.One;
        }
        if (p.IsPointwise)
        {
            // The input plane is the column matrix (same positions as the output).
            ManagedGemm.Run(false, false, cout, len, cin, T.One, wg, cin, xg + offset, p.InPlane, beta, yc, p.OutPlane, threads);
            return;
        }
        using var lease = ScratchBuffers.Rent<T>(p.ChunkColumnElements);
        T* col = lease.Pointer<T>();
        Im2Col.Gather(p, xg, col, r0, rows, threads);
        ManagedGemm.Run(false, false, cout, len, p.ColumnRows, T.One, wg, p.ColumnRows, col, len, beta, yc, p.OutPlane, threads);
    }

    private static void BackwardDataPointwise<T>(ConvPlan p, T* dy, T* w, T* dx, int n, int g, int chunk, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        var (r0, rows) = p.ChunkRows(chunk);
        long offset = (long)r0 * p.OW;
        T* dxc = dx + (long)n * p.ImageIn + (long)g * cin * p.InPlane + offset;
        T* dyc = dy + (long)n * p.ImageOut + (long)g * cout * p.OutPlane + offset;
        T* wg = w + (long)g * p.GroupWeights;
        ManagedGemm.Run(true, false, cin, rows * p.OW, cout, T.One, wg, cin, dyc, p.OutPlane, T.Zero, dxc, p.InPlane, threads);
    }

    private static void BackwardDataGroup<T>(ConvPlan p, T* dy, T* w, T* dx, int n, int g, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        T* dxg = dx + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* dyg = dy + (long)n * p.ImageOut + (long)g * cout * p.OutPlane;
        T* wg = w + (long)g * p.GroupWeights;
        // Strided or small convolutions leave some inputs untouched, and overlapping taps add up: start at zero.
        new Span<T>(dxg, cin * p.InPlane).Clear();
        using var lease = ScratchBuffers.Rent<T>(p.ChunkColumnElements);
        T* col = lease.Pointer<T>();
        for (int chunk = 0; chunk < p.Chunks; chunk++)
        {
            var (r0, rows) = p.ChunkRows(chunk);
            int len = rows * p.OW;
            ManagedGemm.Run(true, false, p.ColumnRows, len, cout, T.One, wg, p.ColumnRows, dyg + (long)r0 * p.OW, p.OutPlane, T.Zero, col, len, threads);
            Im2Col.ScatterAdd(p, col, dxg, r0, rows, threads);
        }
    }

    /// <summary>Adds chunk <paramref name="chunk"/> of image n's contribution for group g into dw (and dbias unless null).</summary>
    private static void BackwardWeightsChunk<T>(ConvPlan p, T* x, T* dy, T* dw, T* dbias, int n, int g, int chunk, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cin = p.InChannelsPerGroup, cout = p.OutChannelsPerGroup;
        var (r0, rows) = p.ChunkRows(chunk);
        int len = rows * p.OW;
        long offset = (long)r0 * p.OW;
        T* xg = x + (long)n * p.ImageIn + (long)g * cin * p.InPlane;
        T* dyc = dy + (long)n * p.ImageOut + (long)g * cout * p.OutPlane + offset;
        T* dwg = dw + (long)g * p.GroupWeights;
        if (dbias != null)
            for (int co = 0; co < cout; co++) dbias[g * cout + co] += TensorPrimitives.Sum(new ReadOnlySpan<T>(dyc + (long)co * p.OutPlane, len));
        if (p.IsPointwise)
        {
            ManagedGemm.Run(false, true, cout, cin, len, T.One, dyc, p.OutPlane, xg + offset, p.InPlane, T.One, dwg, cin, threads);
            return;
        }
        using var lease = ScratchBuffers.Rent<T>(p.ChunkColumnElements);
        T* col = lease.Pointer<T>();
        Im2Col.Gather(p, xg, col, r0, rows, threads);
        ManagedGemm.Run(false, true, cout, p.ColumnRows, len, T.One, dyc, p.OutPlane, col, len, T.One, dwg, p.ColumnRows, threads);
    }
}
