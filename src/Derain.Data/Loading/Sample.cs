using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// One sample: named float32 tensors (<c>gt</c>, <c>lq</c>, …) that share their last two dimensions (H, W), and a
/// name for messages and output files (e.g. <c>video/00000003</c>). The sample owns its tensors; disposing it
/// disposes them.
/// </summary>
public sealed class Sample : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    public Sample(string name) => Name = name;

    /// <summary>Where the sample comes from, for messages.</summary>
    public string Name { get; }

    /// <summary>The tensors by key.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>The keys in the order they were added (dictionary order is insertion order while nothing is removed).</summary>
    public IEnumerable<string> Keys => _tensors.Keys;

    public Tensor this[string key] => _tensors.TryGetValue(key, out var t)
        ? t : throw new KeyNotFoundException($"Sample {Name} has no '{key}' (it has {string.Join(", ", _tensors.Keys)}).");

    /// <summary>Adds (or replaces, disposing the old tensor) the tensor under <paramref name="key"/>.</summary>
    public void Set(string key, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_tensors.TryGetValue(key, out var old) && !ReferenceEquals(old, tensor)) old.Dispose();
        _tensors[key] = tensor;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
