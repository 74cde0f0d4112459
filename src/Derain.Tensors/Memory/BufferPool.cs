namespace Derain.Tensors.Memory;

/// <summary>
/// Recycles tensor buffers. Training repeats the same shapes every step, so returning a buffer when its last tensor
/// is disposed and handing it to the next request keeps the working set flat instead of leaning on the GC's
/// large-object heap. Arrays are allocated on the pinned object heap so native kernels (oneDNN) can take their
/// address without pinning.
/// <para>
/// Small buffers (below <see cref="BlockMinBytes"/>) are reused by exact length. Large ones are blocks carved from
/// big pinned slabs, first fit in address order, adjacent free blocks merged when returned: a network whose stages
/// use different sizes (ViMP-Net: 84 MB full-resolution features, then 121 MB unfold columns, then 94 MB attention
/// scores) reuses the same memory for all of them. With exact-length reuse every size kept its own buffers, and the
/// process held the sum of the stages' peaks instead of about the largest (one ViMP-Net forward: 1,447 MB allocated
/// for at most 661 MB in use; 1,033 MB with slabs). Slabs are reserved, not touched: memory becomes resident only as blocks are written, and first fit keeps
/// the used addresses low.
/// </para>
/// </summary>
public static class BufferPool
{
    private static readonly object Gate = new();
    private static readonly Dictionary<(DType, int), Stack<Array>> Free = [];
    private static readonly Dictionary<DType, List<Slab>> Slabs = [];
    private static long _pooledBytes, _slabFreeBytes, _outstandingBytes, _peakOutstandingBytes, _allocatedBytes;

    /// <summary>Requests of at least this many bytes are blocks of a slab; smaller ones are pooled by exact length.</summary>
    public const int BlockMinBytes = 1 << 16;

    /// <summary>Bytes of a new slab (256 MiB); a larger request gets a slab of its own size.</summary>
    private const int SlabBytes = 1 << 28;

    /// <summary>Most bytes kept idle in the exact-length pool; buffers returned beyond it are left to the GC.</summary>
    public static long CapacityBytes { get; set; } = 4L << 30;

    /// <summary>Bytes currently idle: exact-length buffers waiting for reuse and the free parts of the slabs.</summary>
    public static long PooledBytes { get { lock (Gate) return _pooledBytes + _slabFreeBytes; } }

    /// <summary>Buffers handed out that were taken from the pool rather than allocated (for diagnostics).</summary>
    public static long Reuses { get; private set; }

    /// <summary>Bytes handed out and not yet returned (for diagnostics).</summary>
    public static long OutstandingBytes { get { lock (Gate) return _outstandingBytes; } }

    /// <summary>Highest <see cref="OutstandingBytes"/> since the last <see cref="ResetPeak"/> (for diagnostics).</summary>
    public static long PeakOutstandingBytes { get { lock (Gate) return _peakOutstandingBytes; } }

    /// <summary>Bytes of arrays and slabs allocated from the runtime so far (for diagnostics).</summary>
    public static long AllocatedBytes { get { lock (Gate) return _allocatedBytes; } }

    /// <summary>Restarts <see cref="PeakOutstandingBytes"/> from the current outstanding bytes.</summary>
    public static void ResetPeak() { lock (Gate) _peakOutstandingBytes = _outstandingBytes; }

    /// <summary>A buffer of exactly <paramref name="length"/> elements (a whole array, for kernel scratch); contents are unspecified.</summary>
    public static Array Rent(DType dtype, int length)
    {
        if (length == 0) return Empty(dtype);
        long bytes = (long)length * dtype.Size();
        lock (Gate)
        {
            Outstanding(bytes);
            if (Free.TryGetValue((dtype, length), out var stack) && stack.Count > 0)
            {
                _pooledBytes -= bytes;
                Reuses++;
                return stack.Pop();
            }
            _allocatedBytes += bytes;
        }
        return Allocate(dtype, length);
    }

    /// <summary>Gives a buffer from <see cref="Rent"/> back; the caller must hold no other reference to it.</summary>
    public static void Return(DType dtype, Array buffer)
    {
        int length = buffer.Length;
        if (length == 0) return;
        long bytes = (long)length * dtype.Size();
        lock (Gate)
        {
            _outstandingBytes -= bytes;
            if (_pooledBytes + bytes > CapacityBytes) return;
            if (!Free.TryGetValue((dtype, length), out var stack))
                Free[(dtype, length)] = stack = new Stack<Array>();
            stack.Push(buffer);
            _pooledBytes += bytes;
        }
    }

    /// <summary>
    /// <paramref name="length"/> elements for a tensor's storage: <c>array[offset .. offset + length)</c>, a block of a
    /// slab for large requests, a whole exact-length array (offset 0) for small ones. Give it back with <see cref="ReturnBlock"/>.
    /// </summary>
    internal static Array RentBlock(DType dtype, int length, out int offset)
    {
        offset = 0;
        long bytes = (long)length * dtype.Size();
        if (bytes < BlockMinBytes) return Rent(dtype, length);
        lock (Gate)
        {
            Outstanding(bytes);
            if (!Slabs.TryGetValue(dtype, out var slabs)) Slabs[dtype] = slabs = [];
            foreach (var slab in slabs)
            {
                int at = slab.Take(length);
                if (at < 0) continue;
                _slabFreeBytes -= bytes;
                Reuses++;
                offset = at;
                return slab.Data;
            }
            int slabLength = Math.Max(length, SlabBytes / dtype.Size());
            var fresh = new Slab(Allocate(dtype, slabLength));
            slabs.Add(fresh);
            _allocatedBytes += (long)slabLength * dtype.Size();
            _slabFreeBytes += (long)(slabLength - length) * dtype.Size();
            offset = fresh.Take(length);
            return fresh.Data;
        }
    }

    /// <summary>Gives back what <see cref="RentBlock"/> returned for <paramref name="length"/> elements.</summary>
    internal static void ReturnBlock(DType dtype, Array array, int offset, int length)
    {
        long bytes = (long)length * dtype.Size();
        if (bytes < BlockMinBytes)
        {
            Return(dtype, array);
            return;
        }
        lock (Gate)
        {
            _outstandingBytes -= bytes;
            _slabFreeBytes += bytes;
            foreach (var slab in Slabs[dtype])
                if (ReferenceEquals(slab.Data, array))
                {
                    slab.Give(offset, length);
                    return;
                }
        }
        throw new InvalidOperationException("Internal: a tensor block was returned to a slab that does not hold it.");
    }

    /// <summary>Drops every idle exact-length buffer and every slab with no block in use (e.g. between unrelated jobs).</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            _pooledBytes = 0;
            foreach (var slabs in Slabs.Values)
                slabs.RemoveAll(s =>
                {
                    if (!s.IsUnused) return false;
                    _slabFreeBytes -= (long)s.Data.Length * (s.Data is float[] ? sizeof(float) : sizeof(double));
                    return true;
                });
        }
    }

    private static void Outstanding(long bytes)
    {
        _outstandingBytes += bytes;
        _peakOutstandingBytes = Math.Max(_peakOutstandingBytes, _outstandingBytes);
    }

    private static Array Empty(DType dtype) => dtype == DType.Float32 ? Array.Empty<float>() : Array.Empty<double>();

    private static Array Allocate(DType dtype, int length) => dtype == DType.Float32
        ? GC.AllocateUninitializedArray<float>(length, pinned: true)
        : GC.AllocateUninitializedArray<double>(length, pinned: true);

    /// <summary>One pinned array and its free ranges (start, length), sorted by start, never adjacent.</summary>
    private sealed class Slab(Array data)
    {
        private readonly List<(int Start, int Length)> _free = [(0, data.Length)];

        public Array Data { get; } = data;

        public bool IsUnused => _free.Count == 1 && _free[0].Length == Data.Length;

        /// <summary>First fit: the start of a block of <paramref name="length"/> elements, or −1.</summary>
        public int Take(int length)
        {
            for (int i = 0; i < _free.Count; i++)
            {
                var (start, len) = _free[i];
                if (len < length) continue;
                if (len == length) _free.RemoveAt(i);
                else _free[i] = (start + length, len - length);
                return start;
            }
            return -1;
        }

        /// <summary>Frees [start, start + length), merging it with free neighbours.</summary>
        public void Give(int start, int length)
        {
            int lo = 0, hi = _free.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_free[mid].Start < start) lo = mid + 1;
                else hi = mid;
            }
            int i = lo;
            bool joinsBefore = i > 0 && _free[i - 1].Start + _free[i - 1].Length == start;
            bool joinsAfter = i < _free.Count && start + length == _free[i].Start;
            if (joinsBefore && joinsAfter)
            {
                _free[i - 1] = (_free[i - 1].Start, _free[i - 1].Length + length + _free[i].Length);
                _free.RemoveAt(i);
            }
            else if (joinsBefore) _free[i - 1] = (_free[i - 1].Start, _free[i - 1].Length + length);
            else if (joinsAfter) _free[i] = (start, length + _free[i].Length);
            else _free.Insert(i, (start, length));
        }
    }
}
