namespace Derain.Tensors.Kernels.Managed;

/// <summary>Blocked 2-D transposes between channels-first planes and the channels-last layout the samplers use.</summary>
internal static unsafe class Layout
{
    private const int Block = 32;

    /// <summary>
    /// dst[c·ldDst + r] = src[r·ldSrc + c] for r &lt; rows, c &lt; cols. Tiles of 32×32 keep both sides in cache;
    /// large transposes run tile rows in parallel.
    /// </summary>
    public static void Transpose<T>(T* src, int rows, int cols, int ldSrc, T* dst, int ldDst) where T : unmanaged
    {
        int tileRows = (rows + Block - 1) / Block;
        if ((long)rows * cols < 1 << 16 || tileRows == 1)
        {
            for (int tr = 0; tr < tileRows; tr++) TileRow(src, rows, cols, ldSrc, dst, ldDst, tr);
            return;
        }
        Parallel.For(0, tileRows, KernelBackend.ParallelOptions, tr => TileRow(src, rows, cols, ldSrc, dst, ldDst, tr));
    }

    /// <summary>Dense transpose of a rows×cols matrix.</summary>
    public static void Transpose<T>(T* src, int rows, int cols, T* dst) where T : unmanaged
        => Transpose(src, rows, cols, cols, dst, rows);

    private static void TileRow<T>(T* src, int rows, int cols, int ldSrc, T* dst, int ldDst, int tileRow) where T : unmanaged
    {
        int r0 = tileRow * Block, r1 = Math.Min(rows, r0 + Block);
        for (int c0 = 0; c0 < cols; c0 += Block)
        {
            int c1 = Math.Min(cols, c0 + Block);
            for (int r = r0; r < r1; r++)
            {
                T* s = src + (nint)r * ldSrc;
                for (int c = c0; c < c1; c++) dst[(nint)c * ldDst + r] = s[c];
            }
        }
    }
}
