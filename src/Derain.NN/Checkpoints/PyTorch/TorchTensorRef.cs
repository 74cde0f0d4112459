namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// A tensor as torch._utils._rebuild_tensor_v2 describes it: a view of <see cref="Storage"/> starting at
/// <see cref="StorageOffset"/> with PyTorch's sizes and strides (in elements). Creating one checks that every
/// element it addresses lies inside the storage's declared size, so later reads cannot go out of bounds.
/// </summary>
internal sealed class TorchTensorRef
{
    private TorchTensorRef(TorchStorage storage, long storageOffset, long[] sizes, long[] strides)
    {
        Storage = storage;
        StorageOffset = storageOffset;
        Sizes = sizes;
        Strides = strides;
    }

    public TorchStorage Storage { get; }

    public long StorageOffset { get; }

    public long[] Sizes { get; }

    public long[] Strides { get; }

    /// <summary>True for nn.Parameter (from _rebuild_parameter).</summary>
    public bool IsParameter { get; init; }

    /// <summary>The same view, marked as an nn.Parameter (a new object: the memo may share the original).</summary>
    public TorchTensorRef AsParameter() => new(Storage, StorageOffset, Sizes, Strides) { IsParameter = true };

    public long NumElements => Sizes.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// The storage elements the view touches: [first, last]. For an empty tensor, last = first − 1.
    /// </summary>
    public (long First, long Last) ElementRange
    {
        get
        {
            if (NumElements == 0) return (StorageOffset, StorageOffset - 1);
            long last = StorageOffset;
            for (int i = 0; i < Sizes.Length; i++) last += (Sizes[i] - 1) * Strides[i];
            return (StorageOffset, last);
        }
    }

    /// <summary>Row-major contiguous: the elements are one run of the storage in order.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = Sizes.Length - 1; i >= 0; i--)
            {
                if (Sizes[i] != 1 && Strides[i] != expected) return false;
                expected *= Sizes[i];
            }
            return true;
        }
    }

    /// <summary>
    /// Validates and creates the view. Sizes, strides and offset must be non-negative, the element count must
    /// fit the engine's int range, and the addressed range must fit the storage; anything else is a malformed
    /// or hostile file (the message says which).
    /// </summary>
    public static TorchTensorRef Create(TorchStorage storage, long storageOffset, long[] sizes, long[] strides)
    {
        if (sizes.Length != strides.Length)
            throw new InvalidDataException($"a tensor over {storage} has {sizes.Length} sizes but {strides.Length} strides.");
        if (storageOffset < 0 || sizes.Any(s => s < 0) || strides.Any(s => s < 0))
            throw new InvalidDataException($"a tensor over {storage} has a negative size, stride or offset ({Describe(storageOffset, sizes, strides)}).");
        if (sizes.Any(s => s > int.MaxValue))
            throw new InvalidDataException($"a tensor over {storage} has a dimension larger than {int.MaxValue} ({Describe(storageOffset, sizes, strides)}).");
        try
        {
            long numel = 1, last = storageOffset;
            foreach (long s in sizes) numel = checked(numel * s);
            if (numel > 0)
                for (int i = 0; i < sizes.Length; i++) last = checked(last + checked((sizes[i] - 1) * strides[i]));
            bool fits = numel == 0 ? storageOffset <= storage.NumElements : last < storage.NumElements;
            if (!fits)
                throw new InvalidDataException($"a tensor ({Describe(storageOffset, sizes, strides)}) reaches element {last}, outside {storage}.");
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"a tensor over {storage} has sizes and strides that overflow ({Describe(storageOffset, sizes, strides)}); it reaches outside its storage.");
        }
        return new TorchTensorRef(storage, storageOffset, sizes, strides);
    }

    private static string Describe(long offset, long[] sizes, long[] strides)
        => $"offset {offset}, sizes [{string.Join(", ", sizes)}], strides [{string.Join(", ", strides)}]";
}
