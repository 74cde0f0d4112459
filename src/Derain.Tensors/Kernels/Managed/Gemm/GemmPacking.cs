using System.Numerics;

namespace Derain.Tensors.Kernels.Managed.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layouts the micro-kernels stream through: each micro-kernel step
/// then reads MR consecutive A values and NR consecutive B values, whatever the operands' transposition and
/// leading dimensions were. Partial strips at the matrix edges are zero-padded to full width, so the
/// micro-kernels never branch on tails; the driver discards the padded results when it adds the tile into C.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) (m×k; A stored row-major with stride lda, transposed
    /// when <paramref name="transA"/>) as ceil(mc/MR) strips; in strip s, element (row r, step p) lands at
    /// s·MR·kc + p·MR + r.
    /// </summary>
    public static void PackA<T>(bool transA, T* a, int lda, int i0, int mc, int p0, int kc, int mr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int s = 0; s * mr < mc; s++)
        {
            int rows = Math.Min(mr, mc - s * mr);
            int firstRow = i0 + s * mr;
            T* strip = dst + (long)s * mr * kc;
            if (transA)
            {
                // op(A)(i, p) = A[p, i]: the MR values of one step are contiguous in A.
                for (int p = 0; p < kc; p++)
                {
                    T* src = a + (long)(p0 + p) * lda + firstRow;
                    T* d = strip + p * mr;
                    for (int r = 0; r < rows; r++) d[r] = src[r];
                    for (int r = rows; r < mr; r++) d[r] = T.Zero;
                }
            }
            else
            {
                // op(A)(i, p) = A[i, p]: walk k once, reading the strip's rows as parallel streams and
                // writing each step's MR values contiguously (strided writes would be far slower).
                T* row0 = a + (long)firstRow * lda + p0;
                for (int p = 0; p < kc; p++)
                {
                    T* d = strip + p * mr;
                    T* src = row0 + p;
                    for (int r = 0; r < rows; r++) d[r] = src[(long)r * lda];
                    for (int r = rows; r < mr; r++) d[r] = T.Zero;
                }
            }
        }
    }

    /// <summary>
    /// Packs strips [s0, s1) of rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) (k×n; B stored row-major with
    /// stride ldb, transposed when <paramref name="transB"/>); in strip s, element (step p, column j) lands at
    /// s·NR·kc + p·NR + j. Strips are independent, so callers may pack ranges of them in parallel.
    /// </summary>
    public static void PackB<T>(bool transB, T* b, int ldb, int p0, int kc, int j0, int nc, int nr, int s0, int s1, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int s = s0; s < s1; s++)
        {
            int cols = Math.Min(nr, nc - s * nr);
            int firstCol = j0 + s * nr;
            T* strip = dst + (long)s * nr * kc;
            if (transB)
            {
                // op(B)(p, j) = B[j, p]: read each stored row once, sequentially (NR parallel read streams
                // would defeat the prefetcher); the strided writes stay within the strip, which fits L1.
                for (int j = 0; j < cols; j++)
                {
                    T* src = b + (long)(firstCol + j) * ldb + p0;
                    T* d = strip + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) strip[p * nr + j] = T.Zero;
            }
            else
            {
                // op(B)(p, j) = B[p, j]: each step's NR values are contiguous in B.
                for (int p = 0; p < kc; p++)
                {
                    var src = new ReadOnlySpan<T>(b + (long)(p0 + p) * ldb + firstCol, cols);
                    var d = new Span<T>(strip + p * nr, nr);
                    src.CopyTo(d);
                    d[cols..].Clear();
                }
            }
        }
    }
}
