using System.Text;
using Derain.Tensors;
using Microsoft.Win32.SafeHandles;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Reads a TensorFlow checkpoint V2 (what tf.train.Saver and tf.train.Checkpoint write): a prefix such as
/// …/model.ckpt with a <c>.index</c> table, mapping each tensor name to a BundleEntryProto, and data shards
/// <c>.data-NNNNN-of-NNNNN</c> holding the raw little-endian bytes. Shapes are TensorFlow's (conv kernels are
/// [kh, kw, in, out]); <see cref="CheckpointEntry.StoredDType"/> is TensorFlow's dtype name (DT_FLOAT, …).
/// Opening reads and verifies the whole index (block checksums, key order, every entry's extent within its
/// shard); each <see cref="Read"/> verifies that tensor's CRC-32C. Partitioned (sliced) variables and
/// string, complex, quantized, resource and variant tensors are listed but refused by <see cref="Read"/>
/// with a <see cref="NotSupportedException"/>, as are snappy-compressed or big-endian bundles on open.
/// </summary>
public sealed class TensorFlowCheckpoint : ICheckpointReader
{
    /// <summary>The <see cref="Format"/> name.</summary>
    public const string FormatName = "tensorflow-v2";

    private const int ChunkBytes = 1 << 20;

    private readonly Dictionary<string, BundleEntry> _bundleEntries;
    private readonly SafeFileHandle[] _shards;
    private readonly string[] _shardPaths;
    private bool _disposed;

    private TensorFlowCheckpoint(string prefix, BundleHeader header, List<CheckpointEntry> entries,
        Dictionary<string, BundleEntry> bundleEntries, SafeFileHandle[] shards, string[] shardPaths)
    {
        Prefix = prefix;
        NumShards = header.NumShards;
        Entries = entries;
        ModelVariables = entries.Where(TensorFlowVariableNames.IsModelVariable).ToList();
        _bundleEntries = bundleEntries;
        _shards = shards;
        _shardPaths = shardPaths;
    }

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <summary>The checkpoint prefix (full path without .index).</summary>
    public string Prefix { get; }

    /// <summary>The .index file.</summary>
    public string IndexPath => CheckpointPaths.IndexPath(Prefix);

    /// <summary>Number of data shards.</summary>
    public int NumShards { get; }

    /// <inheritdoc/>
    public IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <summary>The entries a model needs at inference: <see cref="Entries"/> without optimizer slots,
    /// step counters and moving-average bookkeeping (see <see cref="TensorFlowVariableNames"/>).</summary>
    public IReadOnlyList<CheckpointEntry> ModelVariables { get; }

    /// <summary>
    /// Opens a checkpoint given its prefix (…/model.ckpt), its .index file, one of its data shards, or a folder
    /// holding a `checkpoint` state file or a single *.index.
    /// </summary>
    public static TensorFlowCheckpoint Open(string pathOrPrefix)
    {
        string prefix = CheckpointPaths.Resolve(pathOrPrefix);
        string indexPath = CheckpointPaths.IndexPath(prefix);
        var table = TableFile.ReadAll(File.ReadAllBytes(indexPath), indexPath);
        var header = ReadHeader(table, indexPath);
        var (shards, shardPaths) = OpenShards(prefix, header.NumShards);
        try
        {
            var bundleEntries = new Dictionary<string, BundleEntry>(StringComparer.Ordinal);
            var entries = new List<CheckpointEntry>();
            foreach (var kv in table.Skip(1))
            {
                // Keys beginning with a NUL byte are the encoded names of the pieces of partitioned
                // variables; the variable itself is listed under its plain name.
                if (kv.Key[0] == 0) continue;
                string name = DecodeName(kv.Key, indexPath);
                var entry = BundleEntry.Parse(kv.Value, $"{indexPath}: entry '{name}'");
                var shape = Validate(name, entry, header.NumShards, shards, shardPaths, indexPath);
                bundleEntries.Add(name, entry);
                entries.Add(new CheckpointEntry(name, shape, TensorFlowDataTypes.Name(entry.DType)));
            }
            return new TensorFlowCheckpoint(prefix, header, entries, bundleEntries, shards, shardPaths);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> leads (as <see cref="Open"/> would resolve it) to a file ending in the
    /// table magic. Cheap: reads eight bytes; it does not validate the checkpoint.
    /// </summary>
    public static bool Probe(string path)
    {
        try
        {
            if (!CheckpointPaths.TryResolve(path, out string? prefix, out _)) return false;
            using var handle = File.OpenHandle(CheckpointPaths.IndexPath(prefix!));
            long length = RandomAccess.GetLength(handle);
            if (length < TableFooter.Size) return false;
            Span<byte> tail = stackalloc byte[8];
            return RandomAccess.Read(handle, tail, length - 8) == 8 && TableFooter.HasMagic(tail);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public Tensor Read(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_bundleEntries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{IndexPath}: no tensor named '{name}'.");
        if (entry.SliceCount > 0)
            throw new NotSupportedException($"{IndexPath}: '{name}' is a partitioned variable stored in {entry.SliceCount} slices; reading those is not supported.");
        int elementSize = TensorFlowDataTypes.ConvertibleElementSize(entry.DType);
        if (elementSize == 0)
            throw new NotSupportedException($"{IndexPath}: '{name}' is {TensorFlowDataTypes.Name(entry.DType)}, which has no float32 value.");
        if (entry.Dims.Length > Shape.MaxRank)
            throw new NotSupportedException($"{IndexPath}: '{name}' has rank {entry.Dims.Length}; tensors have at most {Shape.MaxRank} dimensions.");

        var shape = entry.Dims.Select(d => (int)d).ToArray();
        var values = new float[checked((int)(entry.Size / elementSize))];
        ReadAndVerify(name, entry, elementSize, values);
        return Tensor.Wrap(values, shape);
    }

    /// <summary>Where a tensor's bytes are: data file, offset and length (for diagnostics and tests).</summary>
    internal (string DataPath, long Offset, long Size) Locate(string name)
    {
        var e = _bundleEntries.TryGetValue(name, out var found) ? found : throw new KeyNotFoundException($"{IndexPath}: no tensor named '{name}'.");
        return (_shardPaths[e.ShardId], e.Offset, e.Size);
    }

    /// <summary>Closes the data shards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _shards) s.Dispose();
    }

    // Streams the tensor's bytes in element-aligned chunks, decoding each and feeding the checksum, so a
    // large tensor needs no second full-size buffer.
    private void ReadAndVerify(string name, BundleEntry entry, int elementSize, float[] values)
    {
        var handle = _shards[entry.ShardId];
        string path = _shardPaths[entry.ShardId];
        var buffer = new byte[(int)Math.Min(entry.Size, ChunkBytes)];
        uint crc = MaskedCrc32C.Begin();
        long done = 0;
        while (done < entry.Size)
        {
            int want = (int)Math.Min(buffer.Length, entry.Size - done);
            var chunk = buffer.AsSpan(0, want);
            ReadExactly(handle, chunk, entry.Offset + done, path, name);
            crc = MaskedCrc32C.Update(crc, chunk);
            int first = (int)(done / elementSize);
            ElementDecoder.ToFloat32(entry.DType, chunk, values.AsSpan(first, want / elementSize));
            done += want;
        }
        uint actual = MaskedCrc32C.End(crc);
        uint stored = MaskedCrc32C.Unmask(entry.MaskedCrc);
        if (actual != stored)
            throw new InvalidDataException($"{path}: tensor '{name}' (bytes {entry.Offset}..{entry.Offset + entry.Size}) fails its CRC-32C check (stored 0x{stored:x8}, computed 0x{actual:x8}); the data file is corrupt.");
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset, string path, string name)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n == 0)
                throw new InvalidDataException($"{path}: ends at byte {offset} inside tensor '{name}'; the file was truncated after opening.");
            destination = destination[n..];
            offset += n;
        }
    }

    private static BundleHeader ReadHeader(List<TableEntry> table, string indexPath)
    {
        // The empty key sorts first; TensorFlow always writes the header there.
        if (table.Count == 0 || table[0].Key.Length != 0)
            throw new InvalidDataException($"{indexPath}: no bundle header (the empty key); this table is not a TensorFlow checkpoint index.");
        var header = BundleHeader.Parse(table[0].Value, $"{indexPath}: bundle header");
        if (header.NumShards is < 1 or > 99_999)
            throw new InvalidDataException($"{indexPath}: bundle header says {header.NumShards} shards.");
        if (header.BigEndian)
            throw new NotSupportedException($"{indexPath}: the bundle was written big-endian; only little-endian bundles are supported.");
        if (header.MinConsumer > BundleHeader.SupportedVersion)
            throw new NotSupportedException($"{indexPath}: the bundle needs a reader of version {header.MinConsumer} or later (written by producer version {header.Producer}); this reader understands version {BundleHeader.SupportedVersion}.");
        return header;
    }

    private static (SafeFileHandle[] Handles, string[] Paths) OpenShards(string prefix, int count)
    {
        var handles = new List<SafeFileHandle>();
        var paths = new string[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                paths[i] = CheckpointPaths.DataPath(prefix, i, count);
                if (!File.Exists(paths[i]))
                    throw new FileNotFoundException($"{CheckpointPaths.IndexPath(prefix)}: data shard {i} of {count} is missing: {paths[i]}.", paths[i]);
                handles.Add(File.OpenHandle(paths[i], FileMode.Open, FileAccess.Read, FileShare.Read));
            }
            return (handles.ToArray(), paths);
        }
        catch
        {
            foreach (var h in handles) h.Dispose();
            throw;
        }
    }

    private static string DecodeName(byte[] key, string indexPath)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(key);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{indexPath}: a tensor name is not valid UTF-8 ({Convert.ToHexString(key)}).", e);
        }
    }

    // Everything that can be checked without reading the tensor: the shard exists, the extent lies in the
    // shard file, the dims are sane and, for fixed-size types, the byte count matches the element count.
    private static int[] Validate(string name, BundleEntry e, int numShards, SafeFileHandle[] shards, string[] shardPaths, string indexPath)
    {
        string where = $"{indexPath}: tensor '{name}'";
        if (e.ShardId < 0 || e.ShardId >= numShards)
            throw new InvalidDataException($"{where} is in shard {e.ShardId}, but the bundle has {numShards}.");
        long elements = 1;
        var shape = new int[e.Dims.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = e.Dims[i];
            if (d < 0 || d > int.MaxValue)
                throw new InvalidDataException($"{where} has dimension {i} of size {d}.");
            shape[i] = (int)d;
            elements = d == 0 || elements <= int.MaxValue / d ? elements * d : long.MaxValue;
        }
        if (e.SliceCount == 0 && elements > int.MaxValue)
            throw new InvalidDataException($"{where} has {string.Join("×", e.Dims)} elements, more than a tensor can hold.");
        long shardLength = RandomAccess.GetLength(shards[e.ShardId]);
        if (e.Offset < 0 || e.Size < 0 || e.Offset > shardLength || e.Size > shardLength - e.Offset)
            throw new InvalidDataException($"{where}: bytes [{e.Offset}, {e.Offset}+{e.Size}) do not fit data file {shardPaths[e.ShardId]} ({shardLength} bytes); it is truncated or the index is corrupt.");
        int elementSize = TensorFlowDataTypes.ConvertibleElementSize(e.DType);
        if (e.SliceCount == 0 && elementSize > 0 && e.Size != elements * elementSize)
            throw new InvalidDataException($"{where}: {e.Size} bytes stored for {elements} {TensorFlowDataTypes.Name(e.DType)} elements ({elements * elementSize} expected).");
        return shape;
    }
}
