namespace Derain.Tensors.Memory;

/// <summary>
/// Recycles tensor buffers by exact length. Training repeats the same shapes every step, so returning a
/// buffer when its last tensor is disposed and handing it to the next request of that length keeps the
/// working set flat instead of leaning on the GC's large-object heap. Arrays are allocated on the pinned
/// object heap so native kernels (oneDNN) can take their address without pinning.
/// </summary>
public static class BufferPool
{
    private static readonly object Gate = new();
    private static readonly Dictionary<(DType, int), Stack<Array>> Free = [];
    private static long _pooledBytes;

    /// <summary>Most bytes kept idle in the pool; buffers returned beyond it are left to the GC.</summary>
    public static long CapacityBytes { get; set; } = 4L << 30;

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long PooledBytes { get { lock (Gate) return _pooledBytes; } }

    /// <summary>Buffers handed out that were taken from the pool rather than allocated (for diagnostics).</summary>
    public static long Reuses { get; private set; }

    /// <summary>A buffer of exactly <paramref name="length"/> elements; contents are unspecified.</summary>
    public static Array Rent(DType dtype, int length)
    {
        if (length == 0) return dtype == DType.Float32 ? Array.Empty<float>() : Array.Empty<double>();
        lock (Gate)
        {
            if (Free.TryGetValue((dtype, length), out var stack) && stack.Count > 0)
            {
                _pooledBytes -= (long)length * dtype.Size();
                Reuses++;
                return stack.Pop();
            }
        }
        return dtype == DType.Float32
            ? GC.AllocateUninitializedArray<float>(length, pinned: true)
            : GC.AllocateUninitializedArray<double>(length, pinned: true);
    }

    /// <summary>Gives a buffer back; the caller must hold no other reference to it.</summary>
    public static void Return(DType dtype, Array buffer)
    {
        int length = buffer.Length;
        if (length == 0) return;
        long bytes = (long)length * dtype.Size();
        lock (Gate)
        {
            if (_pooledBytes + bytes > CapacityBytes) return;
            if (!Free.TryGetValue((dtype, length), out var stack))
                Free[(dtype, length)] = stack = new Stack<Array>();
            stack.Push(buffer);
            _pooledBytes += bytes;
        }
    }

    /// <summary>Drops every idle buffer (e.g. between unrelated jobs).</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            _pooledBytes = 0;
        }
    }
}
