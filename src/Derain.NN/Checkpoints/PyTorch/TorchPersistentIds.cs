using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// Parses torch.save's persistent ids (BINPERSID): ('storage', storage_type, key, location, numel) in the zip
/// format, with a sixth view_metadata item (always None since PyTorch 0.4) in the legacy one, and the legacy
/// format's ('module', cls, source_file, source) for whole pickled modules. Each key maps to one
/// <see cref="TorchStorage"/>, shared by every tensor that names it.
/// </summary>
internal sealed class TorchPersistentIds(Action<TorchStorage> validate)
{
    private readonly Dictionary<string, TorchStorage> _storages = new(StringComparer.Ordinal);

    /// <summary>Storages by key, in first-use order of their keys.</summary>
    public IReadOnlyDictionary<string, TorchStorage> Storages => _storages;

    public object Load(object pid)
    {
        if (pid is not PyTuple t || t.Count == 0 || t.Items[0] is not string kind)
            throw new InvalidDataException($"a persistent id is a {PyValues.TypeName(pid)}, not a ('storage', …) tuple.");
        if (kind == "module" && t.Count == 4 && t.Items[1] is PyGlobal { Kind: GlobalKind.InertClass } cls)
            return cls; // legacy whole-module pickles record the class with its source code; the class is enough
        if (kind != "storage" || t.Count is < 5 or > 6)
            throw new InvalidDataException($"unsupported persistent id '{kind}' with {t.Count} items.");
        if (t.Items[1] is not PyGlobal { Kind: GlobalKind.StorageType, ElementType: { } elementType } type)
            throw new InvalidDataException($"a storage's type is {PyValues.TypeName(t.Items[1])}, not a torch.*Storage class.");
        if (t.Items[2] is not string key)
            throw new InvalidDataException("a storage key is not a string.");
        long numel = PyValues.AsLong(t.Items[4]) ?? -1;
        if (numel < 0) throw new InvalidDataException($"storage {key} declares an invalid element count.");
        if (t.Count == 6 && t.Items[5] is not PyNone)
            throw new InvalidDataException($"storage {key} is a storage view (PyTorch < 0.4 files); not supported.");

        if (_storages.TryGetValue(key, out var existing))
        {
            if (existing.ElementType != elementType || existing.NumElements != numel)
                throw new InvalidDataException($"storage {key} is declared twice, as {existing.NumElements} {existing.ElementType.TorchName()} and as {numel} {type.Name} elements.");
            return existing;
        }
        if (numel > long.MaxValue / elementType.Size())
            throw new InvalidDataException($"storage {key} declares {numel} elements, more than any file holds.");
        var storage = new TorchStorage(key, elementType, numel);
        validate(storage); // the container checks the record really holds ByteLength bytes
        _storages[key] = storage;
        return storage;
    }
}
