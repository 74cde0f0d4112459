using System.Buffers.Binary;
using System.Text.Json;
using Derain.Tensors;

namespace Derain.NN.Checkpoints.SafeTensors;

/// <summary>
/// Writes float32 safetensors files, Derain's own weight format. Tensors are laid out in ordinal name order
/// (the same input always gives the same bytes), the header is padded with spaces to a multiple of 8 so the
/// data is aligned, and the file is written atomically: to a temporary file beside the target, flushed to
/// disk, then renamed over it, so a reader never sees a half-written file.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (float64 tensors are rounded to float32) with optional string
    /// <paramref name="metadata"/> (stored as __metadata__, keys sorted).
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate or reserved names.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Key == "__metadata__") throw new ArgumentException("'__metadata__' is reserved by the safetensors format and cannot name a tensor.", nameof(tensors));
            if (i > 0 && sorted[i].Key == sorted[i - 1].Key) throw new ArgumentException($"Two tensors are named '{sorted[i].Key}'.", nameof(tensors));
        }
        byte[] header = Header(sorted, metadata);

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                file.Write(length);
                file.Write(header);
                foreach (var (_, tensor) in sorted) WriteData(file, tensor);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static byte[] Header(List<KeyValuePair<string, Tensor>> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in sorted)
            {
                long bytes = 4L * tensor.NumElements;
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsDTypes.Float32);
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape.Dims) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned.
        while ((buffer.Length + 8) % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(Stream file, Tensor tensor)
    {
        float[] values = tensor.ToArray();
        var chunk = new byte[Math.Min(values.Length, 1 << 14) * 4];
        for (int start = 0; start < values.Length; start += chunk.Length / 4)
        {
            int n = Math.Min(chunk.Length / 4, values.Length - start);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), values[start + i]);
            file.Write(chunk, 0, 4 * n);
        }
    }
}
