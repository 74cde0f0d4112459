using System.IO.Compression;
using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// torch.save's default format since PyTorch 1.6: a zip archive whose single top folder (named after the file,
/// or "archive") holds data.pkl (the object graph), data/&lt;key&gt; (one record of raw little-endian bytes per
/// storage), version, and in newer releases byteorder. torch.save stores records uncompressed; compressed
/// records are accepted too, with their declared size bounded by what deflate can expand to.
/// </summary>
internal sealed class PyTorchZipFile : IStorageSource
{
    // Deflate cannot expand data by more than about 1032:1; a larger declared size is a lie (zip bomb).
    private const long MaxDeflateRatio = 1032;

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _records;
    private readonly string _folder;

    private PyTorchZipFile(ZipArchive zip, Dictionary<string, ZipArchiveEntry> records, string folder)
    {
        _zip = zip;
        _records = records;
        _folder = folder;
    }

    public string Format => "pytorch-zip";

    public object Root { get; private set; } = PyNone.Instance;

    public static PyTorchZipFile Open(string path)
    {
        var stream = File.OpenRead(path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new InvalidDataException($"the zip archive is truncated or damaged ({e.Message}).", e);
        }
        try
        {
            var file = Create(zip, stream.Length);
            file.Root = file.LoadPickle();
            return file;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    private static PyTorchZipFile Create(ZipArchive zip, long fileLength)
    {
        var records = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
        {
            if (!records.TryAdd(e.FullName, e)) throw new InvalidDataException($"the zip archive has two records named {e.FullName}.");
            if (e.CompressedLength > fileLength || e.Length > Math.Max(e.CompressedLength, 1) * MaxDeflateRatio)
                throw new InvalidDataException($"record {e.FullName} declares {e.Length} bytes from {e.CompressedLength} stored bytes in a {fileLength}-byte file; refused.");
        }
        var pickles = records.Keys.Where(k => k.EndsWith("/data.pkl", StringComparison.Ordinal) && k.Count(c => c == '/') == 1).ToList();
        if (pickles.Count != 1)
            throw new InvalidDataException(pickles.Count == 0
                ? "this zip archive is not a PyTorch checkpoint (no <folder>/data.pkl record)."
                : $"this zip archive has {pickles.Count} data.pkl records; expected one.");
        string folder = pickles[0][..^"/data.pkl".Length];
        if (records.ContainsKey(folder + "/constants.pkl") || records.Keys.Any(k => k.StartsWith(folder + "/code/", StringComparison.Ordinal)))
            throw new InvalidDataException("this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save model.state_dict() with torch.save instead.");
        if (records.TryGetValue(folder + "/byteorder", out var order))
        {
            using var s = order.Open();
            using var r = new StreamReader(s);
            string text = r.ReadToEnd().Trim();
            if (text != "little") throw new InvalidDataException($"the checkpoint's byte order is '{text}'; only little-endian checkpoints are supported.");
        }
        return new PyTorchZipFile(zip, records, folder);
    }

    private object LoadPickle()
    {
        var ids = new TorchPersistentIds(CheckRecord);
        var entry = _records[_folder + "/data.pkl"];
        using var s = entry.Open();
        return Unpickler.Load(s, entry.Length, entry.FullName, ids.Load, null, out _);
    }

    /// <summary>A storage's record must exist and hold at least its declared bytes.</summary>
    private void CheckRecord(TorchStorage storage)
    {
        if (!_records.TryGetValue(RecordName(storage), out var e))
            throw new InvalidDataException($"storage {storage.Key} has no record {RecordName(storage)} in the archive.");
        if (e.Length < storage.ByteLength)
            throw new InvalidDataException($"storage {storage.Key} declares {storage.NumElements} {storage.ElementType.TorchName()} elements ({storage.ByteLength} bytes) but its record holds {e.Length} bytes.");
    }

    public void Read(TorchStorage storage, long byteOffset, Span<byte> destination)
    {
        using var s = _records[RecordName(storage)].Open();
        if (s.CanSeek) s.Seek(byteOffset, SeekOrigin.Begin);
        else Skip(s, byteOffset);
        s.ReadExactly(destination);
    }

    private static void Skip(Stream s, long count)
    {
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0) throw new EndOfStreamException();
            count -= n;
        }
    }

    private string RecordName(TorchStorage storage) => $"{_folder}/data/{storage.Key}";

    public void Dispose() => _zip.Dispose();
}
