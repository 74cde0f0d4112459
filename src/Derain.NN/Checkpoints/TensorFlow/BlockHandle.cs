namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Where a block lies in a LevelDB table file: its offset and the size of its contents, which are followed by
/// a 5-byte trailer (compression type, masked CRC) not counted in <see cref="Size"/>. Encoded as two varints.
/// </summary>
internal readonly record struct BlockHandle(ulong Offset, ulong Size)
{
    /// <summary>Length of the trailer after each block's contents.</summary>
    public const int TrailerSize = 5;

    /// <summary>Decodes a handle at <paramref name="pos"/> and advances past it.</summary>
    public static BlockHandle Decode(byte[] buffer, ref int pos, int end, string where)
    {
        ulong offset = Varint.ReadUInt64(buffer, ref pos, end, where);
        ulong size = Varint.ReadUInt64(buffer, ref pos, end, where);
        return new BlockHandle(offset, size);
    }

    /// <summary>Decodes a value that must be exactly one handle (an index block entry).</summary>
    public static BlockHandle DecodeExact(ArraySegment<byte> value, string where)
    {
        int pos = value.Offset;
        int end = value.Offset + value.Count;
        var handle = Decode(value.Array!, ref pos, end, where);
        if (pos != end)
            throw new InvalidDataException($"{where}: {end - pos} stray bytes after a block handle.");
        return handle;
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{Offset}, +{Size}]";
}
