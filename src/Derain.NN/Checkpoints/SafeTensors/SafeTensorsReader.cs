using Derain.Tensors;

namespace Derain.NN.Checkpoints.SafeTensors;

/// <summary>
/// Reads a safetensors file (Hugging Face's format, and Derain's own weight format): the header is parsed and
/// validated at open (see <see cref="SafeTensorsHeader"/>), tensors are read on request and converted to float32.
/// Entries are listed in data order; <see cref="CheckpointEntry.StoredDType"/> is the file's dtype name (F32, BF16, …).
/// Like a FileStream, one instance is not safe for concurrent reads.
/// </summary>
public sealed class SafeTensorsReader : ICheckpointReader
{
    private readonly FileStream _file;
    private readonly string _path;
    private readonly SafeTensorsHeader _header;
    private readonly Dictionary<string, SafeTensorsTensor> _byName;

    private SafeTensorsReader(FileStream file, string path, SafeTensorsHeader header)
    {
        _file = file;
        _path = path;
        _header = header;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Entries = header.Tensors.Select(t => new CheckpointEntry(t.Name, t.Shape, t.DType)).ToList();
    }

    /// <inheritdoc/>
    public string Format => "safetensors";

    /// <inheritdoc/>
    public IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <summary>The header's __metadata__ (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>True if the first bytes could start a safetensors file of <paramref name="fileLength"/> bytes.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head, long fileLength) => SafeTensorsHeader.HasSignature(head, fileLength);

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Malformed or truncated; the message names the file and the problem.</exception>
    public static SafeTensorsReader Open(string path)
    {
        CheckpointFiles.ReadHead(path, 0); // a clear FileNotFoundException for a missing file
        var file = File.OpenRead(path);
        try
        {
            return new SafeTensorsReader(file, path, SafeTensorsHeader.Read(file));
        }
        catch (InvalidDataException e)
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Tensor Read(string name)
    {
        if (!_byName.TryGetValue(name, out var t))
            throw new KeyNotFoundException($"{_path} has no tensor named '{name}' ({_byName.Count} tensors).");
        if (t.Shape.Length > Shape.MaxRank)
            throw new NotSupportedException($"{_path}: {name} has rank {t.Shape.Length}; Derain tensors have at most {Shape.MaxRank} dimensions.");
        long count = t.Shape.Aggregate(1L, (a, d) => a * d);
        if (count > int.MaxValue)
            throw new NotSupportedException($"{_path}: {name} has {count} elements; Derain tensors hold at most {int.MaxValue}.");
        var bytes = new byte[t.End - t.Begin];
        _file.Position = _header.DataStart + t.Begin;
        try
        {
            _file.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{_path}: the data of {name} ends early (was the file changed after it was opened?).", e);
        }
        var data = new float[count];
        t.ElementType.DecodeAll(bytes, data);
        return Tensor.Wrap(data, t.Shape);
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
