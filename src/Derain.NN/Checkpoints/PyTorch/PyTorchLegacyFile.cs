using System.Numerics;
using Derain.NN.Checkpoints.PyTorch.Pickle;

namespace Derain.NN.Checkpoints.PyTorch;

/// <summary>
/// torch.save's format before 1.6 (and with _use_new_zipfile_serialization=False), per torch/serialization.py:
/// five pickles in a row — the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict
/// (byte order, type sizes), the object graph, and the list of storage keys — then, for each key in that
/// list's order, an int64 element count followed by the storage's raw little-endian bytes.
/// </summary>
internal sealed class PyTorchLegacyFile : IStorageSource
{
    /// <summary>The magic number as a LONG1 opcode: 10 little-endian bytes.</summary>
    private static readonly byte[] MagicLong1 = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>Bytes <see cref="HasSignature"/> needs.</summary>
    public const int SignatureLength = 32;

    /// <summary>
    /// True if the file starts with the magic-number pickle: PROTO 2–5, a FRAME from protocol 4 on, then the
    /// LONG1 magic number.
    /// </summary>
    public static bool HasSignature(ReadOnlySpan<byte> head)
    {
        if (head.Length < 2 || head[0] != 0x80 || head[1] is < 2 or > 5) return false;
        var rest = head[2..];
        if (rest.Length > 0 && rest[0] == 0x95) rest = rest.Length >= 9 ? rest[9..] : [];
        return rest.StartsWith(MagicLong1);
    }

    private static readonly BigInteger MagicNumber = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    private const long ProtocolVersion = 1001;

    private readonly FileStream _stream;
    private readonly Dictionary<string, long> _dataOffsets = new(StringComparer.Ordinal);

    private PyTorchLegacyFile(FileStream stream) => _stream = stream;

    public string Format => "pytorch-legacy";

    public object Root { get; private set; } = PyNone.Instance;

    public static PyTorchLegacyFile Open(string path)
    {
        var file = new PyTorchLegacyFile(File.OpenRead(path));
        try
        {
            file.Load();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void Load()
    {
        var magic = Next("magic number", NoPersistentIds);
        if (magic is not BigInteger m || m != MagicNumber)
            throw new InvalidDataException("not a legacy PyTorch checkpoint (wrong magic number).");
        if (PyValues.AsLong(Next("protocol version", NoPersistentIds)) != ProtocolVersion)
            throw new InvalidDataException($"unsupported legacy protocol version (expected {ProtocolVersion}).");
        if (Next("sys_info", NoPersistentIds) is PyDict sysInfo && sysInfo.TryGet("little_endian", out var le) && le is false)
            throw new InvalidDataException("the checkpoint was written on a big-endian machine; only little-endian checkpoints are supported.");

        var ids = new TorchPersistentIds(_ => { }); // records follow the pickles: checked below
        Root = Next("object graph", ids.Load);
        if (Next("storage key list", NoPersistentIds) is not PyList keys || keys.Items.Any(k => k is not string))
            throw new InvalidDataException("the storage key list is not a list of strings.");
        IndexRecords(keys.Items.Cast<string>().ToList(), ids.Storages);
    }

    /// <summary>Walks the storage records, checking each count against its declaration and the file size.</summary>
    private void IndexRecords(List<string> keys, IReadOnlyDictionary<string, TorchStorage> storages)
    {
        long position = _stream.Position;
        Span<byte> countBytes = stackalloc byte[8];
        foreach (string key in keys)
        {
            if (!storages.TryGetValue(key, out var storage))
                throw new InvalidDataException($"the storage list names {key}, which no tensor uses (its element size is unknown).");
            if (_dataOffsets.ContainsKey(key)) throw new InvalidDataException($"the storage list names {key} twice.");
            if (_stream.Length - position < 8)
                throw new InvalidDataException($"the file ends before the record of storage {key} (truncated).");
            _stream.Position = position;
            _stream.ReadExactly(countBytes);
            long count = BitConverter.ToInt64(countBytes);
            long available = _stream.Length - position - 8;
            if (count < storage.NumElements || count > available / storage.ElementType.Size())
                throw new InvalidDataException(
                    $"storage {key} declares {storage.NumElements} {storage.ElementType.TorchName()} elements and its record {count}, but {available} bytes remain in the file (truncated?).");
            _dataOffsets[key] = position + 8;
            position += 8 + count * storage.ElementType.Size();
        }
        foreach (var key in storages.Keys)
            if (!_dataOffsets.ContainsKey(key)) throw new InvalidDataException($"storage {key} has no record in the file.");
    }

    private object Next(string what, Func<object, object> persistentLoad)
    {
        long start = _stream.Position;
        var value = Unpickler.Load(_stream, _stream.Length - start, $"{what} pickle (byte {start})", persistentLoad, null, out long consumed);
        // FileStream buffers ahead; put the position right after this pickle's STOP.
        _stream.Position = start + consumed;
        return value;
    }

    private static object NoPersistentIds(object pid)
        => throw new InvalidDataException("unexpected persistent id outside the object graph.");

    public void Read(TorchStorage storage, long byteOffset, Span<byte> destination)
    {
        _stream.Position = _dataOffsets[storage.Key] + byteOffset;
        _stream.ReadExactly(destination);
    }

    public void Dispose() => _stream.Dispose();
}
