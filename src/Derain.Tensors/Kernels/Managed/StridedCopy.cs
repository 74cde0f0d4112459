using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The data movement that permute, flip, expand, repeat and pixel shuffle reduce to: a contiguous destination
/// filled from a source read through arbitrary (possibly zero or negative) strides, and its adjoint, which adds
/// a contiguous source into a strided destination. Dimensions are first coalesced (size-1 dimensions dropped,
/// neighbours that stay adjacent merged), so NCHW↔NHWC becomes a batched 2-D transpose and most other cases
/// become runs of contiguous copies. Ranks are unrestricted here (repeat interleaves up to ten dimensions).
/// </summary>
internal static unsafe class StridedCopy
{
    /// <summary>Tile edge of the blocked transpose: 32×32 floats (4 KB) per side stay in L1.</summary>
    private const int Tile = 32;

    /// <summary>Below this many elements the copy runs on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 16;

    /// <summary>dst[i] = src[srcOffset + Σ index_k · srcStrides[k]], i running row-major over <paramref name="shape"/>.</summary>
    public static void Gather<T>(ReadOnlySpan<T> src, int srcOffset, ReadOnlySpan<int> shape, ReadOnlySpan<int> srcStrides, Span<T> dst)
        where T : unmanaged
    {
        var (dims, strides) = Coalesce(shape, srcStrides);
        long n = Count(dims);
        if (n != dst.Length) throw new InvalidOperationException($"Internal: gather of {n} elements into {dst.Length}.");
        if (n == 0) return;
        CheckBounds(src.Length, srcOffset, dims, strides);
        fixed (T* ps = src)
        fixed (T* pd = dst)
        {
            T* s = ps + srcOffset;
            int r = dims.Length;
            if (r >= 2 && strides[r - 1] is not (1 or 0 or -1))
            {
                int a = Array.LastIndexOf(strides, 1, r - 2);
                if (a >= 0) { Transpose(s, pd, dims, strides, a); return; }
            }
            Rows(s, pd, dims, strides);
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Gather"/>: dst[dstOffset + Σ index_k · dstStrides[k]] += src[i]. Zero strides
    /// make several source elements add into one destination element, so this runs on one thread.
    /// </summary>
    public static void Accumulate<T>(ReadOnlySpan<T> src, ReadOnlySpan<int> shape, Span<T> dst, int dstOffset, ReadOnlySpan<int> dstStrides)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dims, strides) = Coalesce(shape, dstStrides);
        long n = Count(dims);
        if (n != src.Length) throw new InvalidOperationException($"Internal: accumulate of {src.Length} elements over {n}.");
        if (n == 0) return;
        CheckBounds(dst.Length, dstOffset, dims, strides);
        int r = dims.Length;
        int inner = r == 0 ? 1 : dims[r - 1];
        int si = r == 0 ? 1 : strides[r - 1];
        var idx = new int[Math.Max(r - 1, 0)];
        long off = dstOffset;
        long rows = n / inner;
        for (long o = 0; o < rows; o++)
        {
            var row = src.Slice((int)(o * inner), inner);
            if (si == 1) TensorPrimitives.Add(dst.Slice((int)off, inner), row, dst.Slice((int)off, inner));
            else if (si == 0) dst[(int)off] += TensorPrimitives.Sum(row);
            else for (int j = 0; j < inner; j++) dst[(int)(off + (long)j * si)] += row[j];
            off = Advance(idx, dims, strides, off);
        }
    }

    /// <summary>Drops size-1 dimensions and merges neighbours whose strides chain (stride_k = stride_k+1 · size_k+1).</summary>
    internal static (int[] Dims, int[] Strides) Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        var d = new List<int>(shape.Length);
        var s = new List<int>(shape.Length);
        for (int k = 0; k < shape.Length; k++)
        {
            if (shape[k] == 0) return ([0], [0]);
            if (shape[k] == 1) continue;
            if (d.Count > 0 && s[^1] == strides[k] * shape[k])
            {
                d[^1] *= shape[k];
                s[^1] = strides[k];
            }
            else
            {
                d.Add(shape[k]);
                s.Add(strides[k]);
            }
        }
        return ([.. d], [.. s]);
    }

    private static long Count(int[] dims)
    {
        long n = 1;
        foreach (int v in dims) n *= v;
        return n;
    }

    /// <summary>A wrong stride here would read or write outside the buffer through a pointer: refuse it.</summary>
    private static void CheckBounds(int length, int offset, int[] dims, int[] strides)
    {
        long lo = offset, hi = offset;
        for (int k = 0; k < dims.Length; k++)
        {
            long span = (long)(dims[k] - 1) * strides[k];
            if (span < 0) lo += span; else hi += span;
        }
        if (lo < 0 || hi >= length)
            throw new InvalidOperationException($"Internal: strided access [{lo}, {hi}] outside a buffer of {length}.");
    }

    /// <summary>Steps the multi-index over all dimensions but the last and returns the new offset.</summary>
    private static long Advance(int[] idx, int[] dims, int[] strides, long off)
    {
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            off += strides[d];
            if (++idx[d] < dims[d]) return off;
            off -= (long)strides[d] * dims[d];
            idx[d] = 0;
        }
        return off;
    }

    /// <summary>Offset of row <paramref name="row"/> (flat index over all dimensions but the last), filling <paramref name="idx"/>.</summary>
    private static long RowOffset(long row, int[] idx, int[] dims, int[] strides)
    {
        long off = 0;
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            idx[d] = (int)(row % dims[d]);
            row /= dims[d];
            off += (long)idx[d] * strides[d];
        }
        return off;
    }

    /// <summary>Runs body over [0, count) in contiguous ranges, in parallel when the work is large enough.</summary>
    internal static void ForRanges(long count, long workPerItem, Action<long, long> body)
    {
        int threads = KernelBackend.Threads;
        if (threads <= 1 || count < 2 || count * workPerItem < ParallelThreshold)
        {
            body(0, count);
            return;
        }
        long chunks = Math.Min(count, threads * 4L);
        Parallel.For(0, chunks, KernelBackend.ParallelOptions, c =>
        {
            long start = count * c / chunks, end = count * (c + 1) / chunks;
            if (end > start) body(start, end);
        });
    }

    /// <summary>Row by row along the last dimension: contiguous copy, broadcast fill, reversal or strided loop.</summary>
    private static void Rows<T>(T* src, T* dst, int[] dims, int[] strides) where T : unmanaged
    {
        int r = dims.Length;
        if (r == 0) { *dst = *src; return; }
        int inner = dims[r - 1], si = strides[r - 1];
        long rows = Count(dims) / inner;
        ForRanges(rows, inner, (start, end) =>
        {
            var idx = new int[r - 1];
            long off = RowOffset(start, idx, dims, strides);
            for (long o = start; o < end; o++)
            {
                T* s = src + off;
                T* d = dst + o * inner;
                if (si == 1) new ReadOnlySpan<T>(s, inner).CopyTo(new Span<T>(d, inner));
                else if (si == 0) new Span<T>(d, inner).Fill(*s);
                else if (si == -1)
                {
                    // A reversed run: copy it forwards, then reverse in place (both vectorised).
                    var run = new Span<T>(d, inner);
                    new ReadOnlySpan<T>(s - (inner - 1), inner).CopyTo(run);
                    run.Reverse();
                }
                else for (int j = 0; j < inner; j++) d[j] = s[(long)j * si];
                off = Advance(idx, dims, strides, off);
            }
        });
    }

    /// <summary>
    /// Batched 2-D transpose: the destination's last dimension is read with a large stride while source
    /// dimension <paramref name="a"/> is contiguous. Both are walked in Tile×Tile blocks so reads and writes
    /// stay within a few cache lines; the remaining dimensions form the batch.
    /// </summary>
    private static void Transpose<T>(T* src, T* dst, int[] dims, int[] strides, int a) where T : unmanaged
    {
        int r = dims.Length;
        int b = r - 1;
        int na = dims[a], nb = dims[b], sb = strides[b];
        var dstStrides = new int[r];
        long acc = 1;
        for (int k = r - 1; k >= 0; k--) { dstStrides[k] = (int)acc; acc *= dims[k]; }
        int da = dstStrides[a];
        // The batch: every dimension except a and b, with its source and destination strides.
        var bDims = new List<int>();
        var bSrc = new List<int>();
        var bDst = new List<int>();
        for (int k = 0; k < r; k++)
        {
            if (k == a || k == b) continue;
            bDims.Add(dims[k]); bSrc.Add(strides[k]); bDst.Add(dstStrides[k]);
        }
        int[] batchDims = [.. bDims], batchSrc = [.. bSrc], batchDst = [.. bDst];
        long batch = Count(batchDims);
        long tilesA = (na + Tile - 1) / Tile;
        ForRanges(batch * tilesA, (long)Tile * nb, (start, end) =>
        {
            T* buffer = stackalloc T[Tile * Tile];
            for (long item = start; item < end; item++)
            {
                long m = item / tilesA;
                int a0 = (int)(item % tilesA) * Tile, a1 = Math.Min(a0 + Tile, na);
                long so = 0, dO = 0, rem = m;
                for (int k = batchDims.Length - 1; k >= 0; k--)
                {
                    long i = rem % batchDims[k];
                    rem /= batchDims[k];
                    so += i * batchSrc[k];
                    dO += i * batchDst[k];
                }
                // Stage each block in a small buffer: source rows are read contiguously along a, destination
                // rows written contiguously along b, and only the L1-resident buffer is accessed with a stride.
                // Reading or writing the large-stride side directly would touch Tile lines a power-of-two
                // apart, which map to the same cache set and evict each other.
                for (int b0 = 0; b0 < nb; b0 += Tile)
                {
                    int b1 = Math.Min(b0 + Tile, nb), bn = b1 - b0, an = a1 - a0;
                    for (int ib = 0; ib < bn; ib++)
                    {
                        T* s = src + so + (long)(b0 + ib) * sb + a0;
                        for (int ia = 0; ia < an; ia++) buffer[ia * Tile + ib] = s[ia];
                    }
                    for (int ia = 0; ia < an; ia++)
                        new ReadOnlySpan<T>(buffer + ia * Tile, bn).CopyTo(new Span<T>(dst + dO + (long)(a0 + ia) * da + b0, bn));
                }
            }
        });
    }
}
