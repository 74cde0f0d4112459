namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// Where a checkpoint's storage bytes live (a zip record per storage, or consecutive blocks of a legacy
/// file), together with the object graph its pickle described. Containers check at open time that every
/// storage's record holds its declared size, so reads within a storage's bounds always succeed on an
/// unchanged file.
/// </summary>
internal interface IStorageSource : IDisposable
{
    /// <summary>pytorch-zip or pytorch-legacy.</summary>
    string Format { get; }

    /// <summary>The unpickled root object.</summary>
    object Root { get; }

    /// <summary>Reads <paramref name="destination"/>.Length bytes of <paramref name="storage"/> from byte <paramref name="byteOffset"/>.</summary>
    void Read(TorchStorage storage, long byteOffset, Span<byte> destination);
}
