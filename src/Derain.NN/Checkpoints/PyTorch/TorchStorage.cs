namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// One storage of a PyTorch checkpoint, as its persistent id declares it: ('storage', torch.FloatStorage,
/// key, location, element count). The bytes live in the container (a zip record or a legacy data block);
/// the container checks that the record really holds <see cref="ByteLength"/> bytes.
/// </summary>
internal sealed class TorchStorage(string key, StoredElementType elementType, long numElements)
{
    /// <summary>The storage key (a zip record name under data/, or the legacy id).</summary>
    public string Key { get; } = key;

    public StoredElementType ElementType { get; } = elementType;

    /// <summary>The declared number of elements (not bytes).</summary>
    public long NumElements { get; } = numElements;

    /// <summary>The declared size in bytes.</summary>
    public long ByteLength => NumElements * ElementType.Size();

    public override string ToString() => $"storage {Key} ({NumElements} {ElementType.TorchName()} elements)";
}
