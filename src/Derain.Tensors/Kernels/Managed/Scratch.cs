using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Derain.Tensors.Memory;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// A temporary kernel buffer rented from <see cref="BufferPool"/> (pinned, so its address is stable while
/// parallel loops use it) and returned on Dispose. Repeated shapes reuse the same buffers step after step.
/// </summary>
internal readonly unsafe struct Scratch<T> : IDisposable where T : unmanaged
{
    private readonly T[] _array;

    public Scratch(int length, bool clear = false)
    {
        _array = (T[])BufferPool.Rent(DTypeExtensions.Of<T>(), length);
        if (clear) Array.Clear(_array);
    }

    /// <summary>The first element (null for an empty buffer).</summary>
    public T* Ptr => _array.Length == 0 ? null : (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));

    public Span<T> Span => _array;

    public void Dispose()
    {
        if (_array is not null) BufferPool.Return(DTypeExtensions.Of<T>(), _array);
    }
}
