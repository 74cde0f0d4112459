namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Splits [0, count) into contiguous chunks and runs them on <see cref="KernelBackend.Threads"/> threads, or
/// inline when the whole job is too small to repay a hand-off (a Parallel.For costs a few microseconds).
/// A few chunks per thread let a thread that finishes early (the machine is shared) take more work.
/// Bodies get spans through <see cref="Ptr{T}"/> because lambdas cannot capture spans.
/// </summary>
internal static class RangeParallel
{
    /// <summary>Element operations below which a job runs on the calling thread (roughly 10–20 µs of work).</summary>
    public const long MinParallelWork = 48 * 1024;

    /// <summary>Number of chunks to split <paramref name="count"/> items of <paramref name="workPerItem"/> into.</summary>
    public static int ChunkCount(int count, long workPerItem)
    {
        int threads = KernelBackend.Threads;
        if (threads <= 1 || count <= 1) return Math.Min(count, 1);
        long total = count * Math.Max(workPerItem, 1);
        if (total < MinParallelWork) return 1;
        long byWork = total / (MinParallelWork / 2);
        return (int)Math.Max(1, Math.Min(Math.Min(count, threads * 4L), byWork));
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over chunks of [0, count).</summary>
    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        int chunks = ChunkCount(count, workPerItem);
        if (chunks <= 1) { if (count > 0) body(0, count); return; }
        Parallel.For(0, chunks, KernelBackend.ParallelOptions, c => body(Start(count, chunks, c), Start(count, chunks, c + 1)));
    }

    /// <summary>Runs <paramref name="body"/>(chunk, start, end) over exactly <paramref name="chunks"/> chunks of [0, count).</summary>
    public static void ForChunks(int count, int chunks, Action<int, int, int> body)
    {
        if (chunks <= 1) { body(0, 0, count); return; }
        Parallel.For(0, chunks, KernelBackend.ParallelOptions, c => body(c, Start(count, chunks, c), Start(count, chunks, c + 1)));
    }

    private static int Start(int count, int chunks, int c) => (int)((long)count * c / chunks);
}

/// <summary>
/// A raw pointer to pinned (or fixed) elements that a parallel body can capture and turn back into spans.
/// Valid only while the owner keeps the memory fixed, i.e. inside the kernel call that made it.
/// </summary>
internal readonly unsafe struct Ptr<T> where T : unmanaged
{
    private readonly T* _p;
    private readonly int _length;

    public Ptr(T* p, int length) { _p = p; _length = length; }

    public int Length => _length;

    public Span<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)_length || (uint)length > (uint)(_length - start))
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, +{length}) outside {_length} elements.");
        return new Span<T>(_p + start, length);
    }

    public ref T this[int i]
    {
        get
        {
            if ((uint)i >= (uint)_length) throw new ArgumentOutOfRangeException(nameof(i));
            return ref _p[i];
        }
    }

    public Span<T> All => new(_p, _length);
}
