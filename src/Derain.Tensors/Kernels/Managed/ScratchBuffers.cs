namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Per-thread reusable scratch memory for kernels (GEMM packing, im2col columns). Large native or array
/// allocations are returned to the OS when freed, so allocating them per call costs a page fault per 4 KiB on
/// every call; keeping a few pinned buffers per thread removes that cost from steady-state training loops.
/// A buffer is taken out of the thread's cache while rented, so a nested rent on the same thread gets another.
/// </summary>
internal static unsafe class ScratchBuffers
{
    private const int Alignment = 64;
    private const int MaxCachedPerThread = 4;

    [ThreadStatic] private static List<byte[]>? t_free;

    /// <summary>Rents at least <paramref name="elements"/> elements of <typeparamref name="T"/>, 64-byte aligned.</summary>
    public static Lease Rent<T>(long elements) where T : unmanaged => new(Take(Math.Max(elements, 1) * sizeof(T)));

    private static byte[] Take(long bytes)
    {
        var free = t_free;
        if (free is not null)
        {
            int best = -1;
            for (int i = 0; i < free.Count; i++)
                if (free[i].Length - Alignment >= bytes && (best < 0 || free[i].Length < free[best].Length)) best = i;
            if (best >= 0)
            {
                var hit = free[best];
                free.RemoveAt(best);
                return hit;
            }
        }
        // Round up to a power of two (plus the alignment slack) so slowly growing sizes reuse one buffer
        // instead of accumulating many.
        long size = Math.Max(4096, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes)) + Alignment;
        if (size > Array.MaxLength) throw new OutOfMemoryException($"Kernel scratch of {bytes} bytes is larger than one array can hold.");
        return GC.AllocateUninitializedArray<byte>((int)size, pinned: true);
    }

    private static void Give(byte[] buffer)
    {
        var free = t_free ??= [];
        if (free.Count >= MaxCachedPerThread)
        {
            // Keep the largest buffers: they serve every smaller request too.
            int smallest = 0;
            for (int i = 1; i < free.Count; i++) if (free[i].Length < free[smallest].Length) smallest = i;
            if (free[smallest].Length >= buffer.Length) return;
            free.RemoveAt(smallest);
        }
        free.Add(buffer);
    }

    /// <summary>A rented buffer; dispose on the renting thread to return it to that thread's cache.</summary>
    public readonly struct Lease(byte[] buffer) : IDisposable
    {
        /// <summary>The aligned start of the buffer (pinned arrays never move).</summary>
        public T* Pointer<T>() where T : unmanaged
        {
            fixed (byte* p = buffer)
                return (T*)(((nint)p + Alignment - 1) & ~(nint)(Alignment - 1));
        }

        public void Dispose() => Give(buffer);
    }
}
