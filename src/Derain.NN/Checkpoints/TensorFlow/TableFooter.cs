using System.Buffers.Binary;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// The fixed 48-byte tail of a LevelDB table: the metaindex and index block handles (varints, zero-padded to
/// 40 bytes) followed by the 64-bit little-endian magic number 0xdb4775248b80fb57.
/// </summary>
internal readonly record struct TableFooter(BlockHandle MetaIndex, BlockHandle Index)
{
    /// <summary>Footer length in bytes.</summary>
    public const int Size = 48;

    /// <summary>The table magic number, the last eight bytes of every table file.</summary>
    public const ulong Magic = 0xdb4775248b80fb57;

    private const int HandlesRegion = 40;

    /// <summary>True when the last eight bytes of <paramref name="tail"/> are the table magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> tail)
        => tail.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(tail[^8..]) == Magic;

    /// <summary>Decodes the footer of a whole table file held in <paramref name="file"/>.</summary>
    public static TableFooter Decode(byte[] file, string path)
    {
        if (file.Length < Size)
            throw new InvalidDataException($"{path}: {file.Length} bytes is too short for a TensorFlow checkpoint index (a table footer alone is {Size} bytes); the file is truncated or not an index.");
        if (!HasMagic(file))
            throw new InvalidDataException($"{path}: the last 8 bytes are not the table magic 0x{Magic:x16}; the file is truncated or not a TensorFlow checkpoint index.");
        int start = file.Length - Size;
        int pos = start;
        string where = $"{path}: table footer";
        var metaIndex = BlockHandle.Decode(file, ref pos, start + HandlesRegion, where);
        var index = BlockHandle.Decode(file, ref pos, start + HandlesRegion, where);
        return new TableFooter(metaIndex, index);
    }
}
