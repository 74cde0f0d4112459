

namespace Derain.Tensors.Memory;

/// <summary>
/// A reference-counted flat buffer shared by a tensor and its views. When the last tensor using it is
/// disposed the buffer returns to <see cref="BufferPool"/>; a storage that is never released is simply
/// collected by the GC.
/// </summary>
internal sealed class Storage
{
    private Array? _data;
    private readonly int _base;
    private int _refs;

    public Storage(DType dtype, int length)
    {
        DType = dtype;
        Length = length;
        _data = length == 0 ? (dtype == DType.Float32 ? Array.Empty<float>() : Array.Empty<double>()) : BufferPool.RentBlock(dtype, length, out _base);
        _refs = 1;
    }

    public Storage(float[] data)
    {
        DType = DType.Float32;
        Length = data.Length;
        _data = data;
        _refs = 1;
        Owned = false;
    }

    public Storage(double[] data)
    {
        DType = DType.Float64;
        Length = data.Length;
        _data = data;
        _refs = 1;
        Owned = false;
    }

    public DType DType { get; }
    public int Length { get; }

    /// <summary>False when the array came from the caller (FromArray without copy): never pooled.</summary>
    public bool Owned { get; } = true;

    /// <summary>Bumped by in-place writes, so caches of derived data (e.g. reordered weights) can tell.</summary>
    public int Version;

    private Array Data => _data ?? throw new ObjectDisposedException(nameof(Tensor), "The tensor's memory was released (the tensor, or the scope that owned it, was disposed).");

    public Span<T> Span<T>(int offset, int count)
    {
        var arr = (T[])Data;
        return arr.AsSpan(_base + offset, count);
    }

    /// <summary>True when exactly one tensor holds this storage (nothing else can see writes to it).</summary>
    public bool IsExclusive => Volatile.Read(ref _refs) == 1;

    public void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(Tensor), "Tried to share a tensor whose memory was already released.");
    }

    public void Release()
    {
        int left = Interlocked.Decrement(ref _refs);
        if (left == 0)
        {
            var d = _data;
            _data = null;
            if (d is not null && Owned && Length > 0) BufferPool.ReturnBlock(DType, d, _base, Length);
        }
    }
}
