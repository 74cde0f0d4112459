namespace Derain.Tensors.Kernels.Managed.Conv;

/// <summary>
/// A <see cref="ConvGeometry"/> lifted to three spatial dimensions (1-D and 2-D convolutions get leading
/// size-1 dimensions with kernel 1, stride 1 and no padding), so one im2col and one set of loops serve all
/// ranks. Also decides how the output plane is cut into chunks of whole output rows so the column buffer
/// stays cache- and memory-friendly at any image size.
/// </summary>
internal sealed class ConvPlan
{
    /// <summary>Column-buffer budget per chunk: large enough for efficient GEMMs, small enough to stay in L3.</summary>
    private const long DefaultChunkBytes = 4L << 20;

    [ThreadStatic] private static long t_chunkBytes;

    /// <summary>
    /// The column-buffer budget for plans made on this thread (tests shrink it to exercise multi-chunk
    /// convolutions on small images); 0 restores the default.
    /// </summary>
    internal static long ChunkBytes
    {
        get => t_chunkBytes > 0 ? t_chunkBytes : DefaultChunkBytes;
        set => t_chunkBytes = value;
    }

    public readonly int N, Groups, InChannelsPerGroup, OutChannelsPerGroup;
    public readonly int D, H, W, OD, OH, OW, KD, KH, KW;
    public readonly int SD, SH, SW, DD, DH, DW, PD, PH, PW;

    /// <summary>Plans <paramref name="g"/> for elements of <paramref name="elementSize"/> bytes run on up to <paramref name="threads"/> threads.</summary>
    public ConvPlan(ConvGeometry g, int elementSize, int threads)
    {
        int lift = 3 - g.SpatialRank;
        int Dim(int[] a, int i, int fill) => i < lift ? fill : a[i - lift];
        N = g.N;
        Groups = g.Groups;
        InChannelsPerGroup = g.InChannels / g.Groups;
        OutChannelsPerGroup = g.OutChannels / g.Groups;
        (D, H, W) = (Dim(g.InSize, 0, 1), Dim(g.InSize, 1, 1), Dim(g.InSize, 2, 1));
        (OD, OH, OW) = (Dim(g.OutSize, 0, 1), Dim(g.OutSize, 1, 1), Dim(g.OutSize, 2, 1));
        (KD, KH, KW) = (Dim(g.Kernel, 0, 1), Dim(g.Kernel, 1, 1), Dim(g.Kernel, 2, 1));
        (SD, SH, SW) = (Dim(g.Stride, 0, 1), Dim(g.Stride, 1, 1), Dim(g.Stride, 2, 1));
        (DD, DH, DW) = (Dim(g.Dilation, 0, 1), Dim(g.Dilation, 1, 1), Dim(g.Dilation, 2, 1));
        (PD, PH, PW) = (Dim(g.PadBegin, 0, 0), Dim(g.PadBegin, 1, 0), Dim(g.PadBegin, 2, 0));

        bool noPadding = g.PadBegin.All(p => p == 0) && g.PadEnd.All(p => p == 0);
        IsPointwise = KernelPlane == 1 && g.Stride.All(s => s == 1) && noPadding;
        long rowBytes = (long)ColumnRows * OW * elementSize;
        int rows = (int)Math.Clamp(ChunkBytes / Math.Max(rowBytes, 1), 1, OutRows);
        // Chunks are also the unit of parallel work: when images × groups alone cannot keep every thread
        // busy, cut rows finer (to about two chunks per thread), but keep chunks at least MinChunkColumns wide
        // so each GEMM stays efficient.
        int pairs = N * Groups;
        if (threads > 1 && pairs < 2 * threads)
        {
            int wanted = (2 * threads + pairs - 1) / pairs;
            int minRows = Math.Min(OutRows, (MinChunkColumns + OW - 1) / OW);
            rows = Math.Min(rows, Math.Max(minRows, (OutRows + wanted - 1) / wanted));
        }
        // Even out the chunks so the last one is not a sliver.
        int chunks = (OutRows + rows - 1) / rows;
        RowsPerChunk = (OutRows + chunks - 1) / chunks;
        Chunks = (OutRows + RowsPerChunk - 1) / RowsPerChunk;
    }

    public int InPlane => D * H * W;
    public int OutPlane => OD * OH * OW;
    public int KernelPlane => KD * KH * KW;

    /// <summary>Rows of the im2col matrix: one per (input channel of the group, kernel tap).</summary>
    public int ColumnRows => InChannelsPerGroup * KernelPlane;

    /// <summary>Output rows (all spatial positions but the last dimension); chunks hold whole rows.</summary>
    public int OutRows => OD * OH;

    /// <summary>Output rows per chunk of the column buffer.</summary>
    public int RowsPerChunk { get; }

    /// <summary>Chunks per image and group.</summary>
    public int Chunks { get; }

    /// <summary>First output row and row count of chunk <paramref name="chunk"/>.</summary>
    public (int First, int Count) ChunkRows(int chunk)
    {
        int first = chunk * RowsPerChunk;
        return (first, Math.Min(RowsPerChunk, OutRows - first));
    }

    /// <summary>Elements of the column buffer for one chunk.</summary>
    public long ChunkColumnElements => (long)ColumnRows * RowsPerChunk * OW;

    /// <summary>Narrowest chunk (in output positions) worth a separate GEMM.</summary>
    private const int MinChunkColumns = 256;

    /// <summary>
    /// A 1×1×1 kernel with unit stride and no padding: the input plane already is the column matrix, so
    /// im2col is skipped and the convolution is a plain matrix product per group.
    /// </summary>
    public bool IsPointwise { get; }

    /// <summary>Elements of one image's input (all channels).</summary>
    public int ImageIn => Groups * InChannelsPerGroup * InPlane;

    /// <summary>Elements of one image's output (all channels).</summary>
    public int ImageOut => Groups * OutChannelsPerGroup * OutPlane;

    /// <summary>Elements of one group's weights [Cout/G, Cin/G, k…].</summary>
    public int GroupWeights => OutChannelsPerGroup * ColumnRows;
}
