using System.Buffers.Binary;
using System.Text.Json;

namespace Derain.NN.Checkpoints.SafeTensors;

/// <summary>One tensor of a safetensors header; offsets are relative to the start of the data section.</summary>
internal sealed record SafeTensorsTensor(string Name, string DType, StoredElementType ElementType, int[] Shape, long Begin, long End);

/// <summary>
/// The header of a safetensors file (huggingface/safetensors): an unsigned 64-bit little-endian length N, then
/// N bytes of UTF-8 JSON — {"name": {"dtype", "shape", "data_offsets": [begin, end]}, …, "__metadata__":
/// {str: str}} — then the data section. Validation follows the format's rules: the header fits the file and
/// starts with '{'; every tensor's byte range matches its shape and dtype; and the ranges tile the data
/// section exactly (no overlap, no hole, no trailing bytes), so every byte is accounted for.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The reference implementation's cap on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(List<SafeTensorsTensor> tensors, Dictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors in data order (by begin offset).</summary>
    public List<SafeTensorsTensor> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>Absolute file offset of the data section (8 + N).</summary>
    public long DataStart { get; }

    /// <summary>True if <paramref name="head"/> could start a safetensors file of <paramref name="fileLength"/> bytes.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return n >= 2 && n <= MaxHeaderBytes && (long)n <= fileLength - 8 && head[8] == (byte)'{';
    }

    public static SafeTensorsHeader Read(Stream file)
    {
        long fileLength = file.Length;
        if (fileLength < 8) throw new InvalidDataException($"the file has {fileLength} bytes, fewer than the 8-byte header length (truncated?).");
        Span<byte> lengthBytes = stackalloc byte[8];
        file.Position = 0;
        file.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > MaxHeaderBytes) throw new InvalidDataException($"the header declares {n} bytes, more than the format's limit of {MaxHeaderBytes}.");
        if ((long)n > fileLength - 8) throw new InvalidDataException($"the header declares {n} bytes but only {fileLength - 8} follow (truncated?).");
        var json = new byte[n];
        file.ReadExactly(json);
        if (json.Length == 0 || json[0] != (byte)'{') throw new InvalidDataException("the header does not start with '{'.");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the header is not valid JSON ({e.Message}).", e);
        }
        using (doc)
        {
            var (tensors, metadata) = ParseEntries(doc.RootElement);
            long dataStart = 8 + (long)n;
            CheckLayout(tensors, fileLength - dataStart);
            return new SafeTensorsHeader(tensors, metadata, dataStart);
        }
    }

    private static (List<SafeTensorsTensor>, Dictionary<string, string>) ParseEntries(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the header is not a JSON object.");
        var tensors = new List<SafeTensorsTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw new InvalidDataException($"the header names '{p.Name}' twice.");
            if (p.Name == MetadataKey)
            {
                if (p.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("__metadata__ is not an object.");
                foreach (var m in p.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                        : throw new InvalidDataException($"__metadata__ value '{m.Name}' is not a string.");
                continue;
            }
            tensors.Add(ParseTensor(p.Name, p.Value));
        }
        return (tensors, metadata);
    }

    private static SafeTensorsTensor ParseTensor(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"tensor '{name}' is not described by an object.");
        if (!e.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"tensor '{name}' has no dtype.");
        string dtypeName = dtype.GetString()!;
        var type = SafeTensorsDTypes.Parse(dtypeName, name);
        long[] shape = Ints(e, "shape", name);
        long[] offsets = Ints(e, "data_offsets", name);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw new InvalidDataException($"tensor '{name}' has data_offsets [{string.Join(", ", offsets)}]; expected [begin, end] with begin ≤ end.");
        if (shape.Any(d => d > int.MaxValue))
            throw new InvalidDataException($"tensor '{name}' has a dimension larger than {int.MaxValue}.");
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, d) => checked(a * d)) * type.Size());
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"tensor '{name}' has a shape whose size overflows.");
        }
        if (offsets[1] - offsets[0] != bytes)
            throw new InvalidDataException($"tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) needs {bytes} bytes but data_offsets span {offsets[1] - offsets[0]}.");
        return new SafeTensorsTensor(name, dtypeName, type, [.. shape.Select(d => (int)d)], offsets[0], offsets[1]);
    }

    private static long[] Ints(JsonElement e, string property, string name)
    {
        if (!e.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"tensor '{name}' has no {property} array.");
        var r = new List<long>();
        foreach (var v in array.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0)
                throw new InvalidDataException($"tensor '{name}': {property} holds {v.GetRawText()}, not a non-negative integer.");
            r.Add(x);
        }
        return [.. r];
    }

    /// <summary>Sorts by offset and checks the ranges tile [0, dataLength) exactly.</summary>
    private static void CheckLayout(List<SafeTensorsTensor> tensors, long dataLength)
    {
        // Stable: empty tensors sharing an offset keep header order.
        var sorted = tensors.Select((t, i) => (t, i)).OrderBy(x => x.t.Begin).ThenBy(x => x.t.End).ThenBy(x => x.i).Select(x => x.t).ToList();
        long expected = 0;
        foreach (var t in sorted)
        {
            if (t.Begin < expected) throw new InvalidDataException($"tensor '{t.Name}' starts at data byte {t.Begin}, inside the previous tensor (which ends at {expected}); overlapping tensors are not allowed.");
            if (t.Begin > expected) throw new InvalidDataException($"tensor '{t.Name}' starts at data byte {t.Begin}, leaving a hole after byte {expected}.");
            if (t.End > dataLength) throw new InvalidDataException($"tensor '{t.Name}' ends at data byte {t.End} but the data section has {dataLength} bytes (truncated?).");
            expected = t.End;
        }
        if (expected != dataLength)
            throw new InvalidDataException($"{dataLength - expected} bytes follow the last tensor; the data section must hold exactly the tensors.");
        tensors.Clear();
        tensors.AddRange(sorted);
    }
}
