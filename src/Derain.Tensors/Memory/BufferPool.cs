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

    /// <summary>
    /// Bytes the pool may always keep idle; it may keep up to the high-water mark of rented bytes (the most live tensor
    /// memory the process has held) when that is larger, so that a training step whose working set exceeds this
    /// capacity finds all its buffers again in the next step instead of dropping the excess to the GC and allocating
    /// it anew each step (pinned arrays the GC collects late: gigabytes of resident garbage). Buffers returned beyond
    /// the limit are left to the GC.
    /// </summary>
    public static long CapacityBytes { get; set; } = 4L << 30;

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long PooledBytes { get { lock (Gate) return _pooledBytes; } }

    /// <summary>Buffers handed out that were taken from the pool rather than allocated (for diagnostics).</summary>
    public static long Reuses { get; private set; }

    private static long _rentedBytes, _peakRentedBytes, _highWaterBytes;

    /// <summary>
    /// Bytes handed out by <see cref="Rent"/> and not yet given back (for diagnostics: a buffer whose tensor is never
    /// disposed but collected by the GC stays counted).
    /// </summary>
    public static long RentedBytes => Interlocked.Read(ref _rentedBytes);

    /// <summary>The most <see cref="RentedBytes"/> since the last <see cref="ResetPeak"/>: the peak of live tensor memory.</summary>
    public static long PeakRentedBytes => Interlocked.Read(ref _peakRentedBytes);

    /// <summary>Starts a new <see cref="PeakRentedBytes"/> measurement from the current level.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref _peakRentedBytes, RentedBytes);

    private static void CountRent(long bytes)
    {
        long now = Interlocked.Add(ref _rentedBytes, bytes);
        RaiseTo(ref _peakRentedBytes, now);
        RaiseTo(ref _highWaterBytes, now);
    }

    private static void RaiseTo(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> elements; contents are unspecified.</summary>
    public static Array Rent(DType dtype, int length)
    {
        if (length == 0) return dtype == DType.Float32 ? Array.Empty<float>() : Array.Empty<double>();
        CountRent((long)length * dtype.Size());
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
        long rented = Interlocked.Add(ref _rentedBytes, -bytes);
        lock (Gate)
        {
            if (_pooledBytes + bytes > Math.Max(CapacityBytes, Interlocked.Read(ref _highWaterBytes))) return;
            if (!Free.TryGetValue((dtype, length), out var stack))
                Free[(dtype, length)] = stack = new Stack<Array>();
            stack.Push(buffer);
            _pooledBytes += bytes;
        }
    }

    /// <summary>Drops every idle buffer (e.g. between unrelated jobs) and restarts the high-water mark from the rented bytes.</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            _pooledBytes = 0;
            Interlocked.Exchange(ref _highWaterBytes, RentedBytes);
        }
    }
}
