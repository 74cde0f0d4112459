using Derain.Tensors;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// Reads a checkpoint written by torch.save — the zip format (default since PyTorch 1.6) or the legacy one —
/// without running any of its pickled Python: the pickle becomes inert data (only allow-listed rebuild
/// functions are interpreted; anything else, such as os.system or builtins.eval, is refused by name), and
/// every tensor is checked to lie inside its storage and every storage inside the file before it is listed.
/// Plain state dicts, wrapped ones ({'state_dict': …}, {'params': …}, {'params_ema': …}, MMEditing's
/// {'meta', 'state_dict'}), nn.DataParallel's 'module.' names and whole pickled nn.Modules are all named
/// as a state_dict() would name them (see <see cref="PyTorchNaming"/>). Like a FileStream, one instance is
/// not safe for concurrent reads.
/// </summary>
public sealed class PyTorchCheckpoint : ICheckpointReader
{
    private static readonly byte[] ZipSignature = [(byte)'P', (byte)'K', 3, 4];

    private readonly IStorageSource _source;
    private readonly string _path;
    private readonly List<NamedTensor> _tensors;
    private readonly Dictionary<string, NamedTensor> _byName;

    private PyTorchCheckpoint(string path, IStorageSource source, NamingResult naming)
    {
        _path = path;
        _source = source;
        _tensors = naming.Tensors;
        _byName = _tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        StateDictPath = naming.StateDictPath;
        StrippedDataParallelPrefix = naming.StrippedDataParallelPrefix;
        Entries = _tensors.Select(t => new CheckpointEntry(t.Name, [.. t.Tensor.Sizes.Select(s => (int)s)], t.Tensor.Storage.ElementType.TorchName())).ToList();
    }

    /// <inheritdoc/>
    public string Format => _source.Format;

    /// <inheritdoc/>
    public IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <summary>The dotted path of the wrapper whose contents are named bare (e.g. "state_dict"), or "".</summary>
    public string StateDictPath { get; }

    /// <summary>True when a 'module.' prefix shared by the whole state dict was dropped.</summary>
    public bool StrippedDataParallelPrefix { get; }

    /// <summary>The full dotted path from the file's root of the tensor reported as <paramref name="name"/>.</summary>
    public string RawName(string name) => Find(name).RawName;

    /// <summary>True if the first bytes are those of a zip archive or of a legacy torch.save file.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head)
        => head.StartsWith(ZipSignature) || PyTorchLegacyFile.HasSignature(head);

    /// <summary>Opens a .pth/.pt/.ckpt file written by torch.save; the format is detected from its content.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a torch.save file, damaged, truncated, or refused as unsafe; the message names the file and the problem.</exception>
    public static PyTorchCheckpoint Open(string path, PyTorchNaming naming = PyTorchNaming.StateDict)
    {
        var head = CheckpointFiles.ReadHead(path, PyTorchLegacyFile.SignatureLength);
        IStorageSource source;
        try
        {
            if (head.AsSpan().StartsWith(ZipSignature)) source = PyTorchZipFile.Open(path);
            else if (PyTorchLegacyFile.HasSignature(head)) source = PyTorchLegacyFile.Open(path);
            else throw new InvalidDataException("not a torch.save checkpoint (neither a zip archive nor the legacy format's magic number).");
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        try
        {
            var paths = StateDictWalker.Walk(source.Root);
            return new PyTorchCheckpoint(path, source, StateDictNaming.Apply(source.Root, paths, naming));
        }
        catch (InvalidDataException e)
        {
            source.Dispose();
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public Tensor Read(string name)
    {
        var t = Find(name);
        if (t.Tensor.Sizes.Length > Shape.MaxRank)
            throw new NotSupportedException($"{_path}: {name} has rank {t.Tensor.Sizes.Length}; Derain tensors have at most {Shape.MaxRank} dimensions.");
        if (t.Tensor.NumElements > int.MaxValue)
            throw new NotSupportedException($"{_path}: {name} has {t.Tensor.NumElements} elements; Derain tensors hold at most {int.MaxValue}.");
        float[] data;
        try
        {
            data = StridedGather.ToFloat32(t.Tensor, _source);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{_path}: the data of {name} ends early (was the file changed after it was opened?).", e);
        }
        catch (InvalidDataException e)
        {
            // A zip record whose local header or compressed data is damaged only shows when it is opened.
            throw new InvalidDataException($"{_path}: cannot read {name}: {e.Message}", e);
        }
        return Tensor.Wrap(data, [.. t.Tensor.Sizes.Select(s => (int)s)]);
    }

    private NamedTensor Find(string name)
        => _byName.TryGetValue(name, out var t) ? t
            : throw new KeyNotFoundException($"{_path} has no tensor named '{name}' ({_tensors.Count} tensors{Suggest(name)}).");

    private string Suggest(string name)
    {
        var near = _tensors.Select(t => t.Name).Where(n => n.EndsWith(name, StringComparison.Ordinal) || name.EndsWith(n, StringComparison.Ordinal)).Take(3).ToList();
        return near.Count > 0 ? "; similar: " + string.Join(", ", near) : _tensors.Count > 0 ? "; first: " + _tensors[0].Name : "";
    }

    /// <inheritdoc/>
    public void Dispose() => _source.Dispose();
}
