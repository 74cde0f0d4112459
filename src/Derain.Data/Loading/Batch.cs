using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// A batch: every key's samples stacked along a new first dimension ([B,…]), the sample names, and where the batch
/// sits in the stream. The tensors were made on a loader thread, so no <see cref="TensorScope"/> of the consumer owns
/// them: the consumer disposes the batch (or keeps tensors it needs and disposes the rest).
/// </summary>
public sealed class Batch : IDisposable
{
    internal Batch(LoaderPosition position, IReadOnlyList<string> names, Dictionary<string, Tensor> tensors)
    {
        Position = position;
        Names = names;
        Tensors = tensors;
    }

    /// <summary>Epoch and index within the epoch of this batch.</summary>
    public LoaderPosition Position { get; }

    /// <summary>Sample names in batch order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of samples.</summary>
    public int Size => Names.Count;

    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    public Tensor this[string key] => Tensors.TryGetValue(key, out var t)
        ? t : throw new KeyNotFoundException($"The batch has no '{key}' (it has {string.Join(", ", Tensors.Keys)}).");

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
