using System.Numerics;
using System.Numerics.Tensors;

namespace Derain.Tensors.Kernels.Managed.Gemm;

/// <summary>
/// The blocked GEMM loops (Goto/BLIS structure) around one micro-kernel: C += alpha·op(A)·op(B), with C already
/// scaled by beta. Columns are taken in panels of NC and the k dimension in slices of KC; each kc×nc slice of
/// op(B) is packed once (L3-sized) and shared by all threads, each mc×kc block of op(A) is packed by the task
/// that uses it (L2-sized), and a kc×NR strip of packed B stays in L1 while the micro-kernel walks down A.
/// Every element of C is owned by exactly one task and summed in a fixed order, so results do not depend on
/// the thread count or scheduling.
/// </summary>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    // KC·NR·sizeof(T) = 32 KiB: one packed B strip fits L1 next to the streaming A strip. MC·KC·sizeof(T)
    // ≈ 192 KiB of packed A stays in L2; a KC×NC slice of packed B (4 MiB) is shared through L3.
    private const int KC = 256;
    private static readonly int McMax = sizeof(T) == 4 ? 192 : 96;
    private static readonly int NcMax = sizeof(T) == 4 ? 4096 : 2048;

    /// <summary>Below this many multiply-adds a call runs on the calling thread: Parallel.For costs more.</summary>
    private const long ParallelThreshold = 1L << 18;

    public static void Run(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T* c, int ldc, int threads)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        if ((long)m * n * k < ParallelThreshold) threads = 1;

        // Balanced M blocks: ceil(m / McMax) blocks of nearly equal height, rounded up to whole MR strips.
        int mBlocks = (m + McMax - 1) / McMax;
        int mc = RoundUp((m + mBlocks - 1) / mBlocks, mr);
        int ncMax = Math.Min(RoundUp(n, nr), RoundUp(NcMax, nr));

        using var bLease = ScratchBuffers.Rent<T>((long)KC * ncMax);
        T* bPack = bLease.Pointer<T>();
        for (int jc = 0; jc < n; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n - jc);
            int strips = (nc + nr - 1) / nr;
            // With fewer M blocks than threads, split the panel's strips too, so every thread has work;
            // each split re-packs its A block, which costs O(mc·kc) against O(mc·kc·nc/split) of FMAs.
            int nSplit = threads <= 1 ? 1 : Math.Clamp((2 * threads + mBlocks - 1) / mBlocks, 1, strips);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                PackPanel(transB, b, ldb, pc, kc, jc, nc, strips, bPack, threads);
                var job = new BlockJob(transA, a, lda, m, n, c, ldc, alpha, bPack, jc, strips, pc, kc, mc, nSplit);
                int tasks = mBlocks * nSplit;
                if (threads <= 1 || tasks == 1)
                {
                    for (int t = 0; t < tasks; t++) job.Run(t);
                }
                else
                {
                    Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, job.Run);
                }
            }
        }
    }

    private static void PackPanel(bool transB, T* b, int ldb, int pc, int kc, int jc, int nc, int strips, T* bPack, int threads)
    {
        if (threads <= 1 || strips < 2)
        {
            GemmPacking.PackB(transB, b, ldb, pc, kc, jc, nc, TKernel.NR, 0, strips, bPack);
            return;
        }
        int parts = Math.Min(threads, strips);
        nint bp = (nint)b, dst = (nint)bPack;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            GemmPacking.PackB(transB, (T*)bp, ldb, pc, kc, jc, nc, TKernel.NR,
                part * strips / parts, (part + 1) * strips / parts, (T*)dst));
    }

    /// <summary>One kc slice of the product, cut into tasks of (M block, range of B strips).</summary>
    private sealed class BlockJob(bool transA, T* a, int lda, int m, int n, T* c, int ldc, T alpha,
        T* bPack, int jc, int strips, int pc, int kc, int mc, int nSplit)
    {
        public void Run(int task)
        {
            int mr = TKernel.MR, nr = TKernel.NR;
            int i0 = task / nSplit * mc;
            int split = task % nSplit;
            int rowsInBlock = Math.Min(mc, m - i0);
            int s0 = split * strips / nSplit, s1 = (split + 1) * strips / nSplit;
            using var aLease = ScratchBuffers.Rent<T>((long)RoundUp(rowsInBlock, mr) * kc);
            T* aPack = aLease.Pointer<T>();
            T* tile = stackalloc T[mr * nr];
            GemmPacking.PackA(transA, a, lda, i0, rowsInBlock, pc, kc, mr, aPack);
            for (int s = s0; s < s1; s++)
            {
                int j = jc + s * nr;
                int cols = Math.Min(nr, n - j);
                T* bStrip = bPack + (long)s * nr * kc;
                for (int r = 0; r < rowsInBlock; r += mr)
                {
                    TKernel.Run(kc, aPack + (long)r * kc, bStrip, tile);
                    AddTile(tile, nr, c + (long)(i0 + r) * ldc + j, ldc, Math.Min(mr, rowsInBlock - r), cols, alpha);
                }
            }
        }
    }

    /// <summary>C[0..rows, 0..cols] += alpha·tile, fused (one rounding), dropping the zero-padded edge of the tile.</summary>
    private static void AddTile(T* tile, int nr, T* c, int ldc, int rows, int cols, T alpha)
    {
        for (int r = 0; r < rows; r++)
        {
            var acc = new ReadOnlySpan<T>(tile + r * nr, cols);
            var dst = new Span<T>(c + (long)r * ldc, cols);
            // fma(1, x, c) == x + c exactly, so the cheaper add gives identical results.
            if (alpha == T.One) TensorPrimitives.Add(acc, dst, dst);
            else TensorPrimitives.FusedMultiplyAdd(acc, alpha, dst, dst);
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
