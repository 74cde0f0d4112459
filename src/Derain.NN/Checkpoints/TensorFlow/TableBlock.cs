using System.Buffers.Binary;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>One key/value pair of a table block; the value is a window on the file's bytes.</summary>
internal readonly record struct TableEntry(byte[] Key, ArraySegment<byte> Value);

/// <summary>
/// Decodes one LevelDB table block. Layout: entries, then an array of uint32 "restart" offsets, then their
/// count (uint32); after the block, a compression-type byte and the masked CRC-32C of contents + type byte.
/// Each entry is varint shared-prefix length, varint unshared length, varint value length, the unshared key
/// bytes, then the value; the key is the previous key's first <c>shared</c> bytes plus the unshared bytes.
/// Restart points are entries stored with no shared prefix, which lets readers seek; here they only serve
/// as a consistency check.
/// </summary>
internal static class TableBlock
{
    private const byte NoCompression = 0;
    private const byte SnappyCompression = 1;

    /// <summary>Verifies the block's trailer and returns its entries in stored order.</summary>
    /// <param name="file">The whole table file.</param>
    /// <param name="handle">Where the block is.</param>
    /// <param name="tableEnd">Where blocks may end (the footer's start).</param>
    /// <param name="what">Names the block in errors (file and role).</param>
    /// <param name="keyBudget">Bytes of decoded keys still allowed; decreased by this block's keys.</param>
    public static List<TableEntry> Read(byte[] file, BlockHandle handle, int tableEnd, string what, ref long keyBudget)
    {
        if (handle.Offset > (ulong)tableEnd || handle.Size > (ulong)tableEnd - handle.Offset
            || handle.Offset + handle.Size + BlockHandle.TrailerSize > (ulong)tableEnd)
            throw new InvalidDataException($"{what}: block {handle} does not fit the {tableEnd} bytes before the footer; the file is truncated or corrupt.");
        int start = (int)handle.Offset;
        int size = (int)handle.Size;
        VerifyTrailer(file, start, size, what);
        return DecodeEntries(file, start, size, what, ref keyBudget);
    }

    private static void VerifyTrailer(byte[] file, int start, int size, string what)
    {
        byte type = file[start + size];
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(start + size + 1, 4));
        // The checksum covers the contents and the type byte, so it is checked before the type is trusted.
        uint actual = MaskedCrc32C.Compute(file.AsSpan(start, size + 1));
        if (MaskedCrc32C.Unmask(stored) != actual)
            throw new InvalidDataException($"{what}: block at byte {start} (size {size}) fails its CRC-32C check (stored 0x{MaskedCrc32C.Unmask(stored):x8}, computed 0x{actual:x8}); the file is corrupt.");
        if (type == SnappyCompression)
            throw new NotSupportedException($"{what}: block at byte {start} is snappy-compressed. TensorFlow writes checkpoint indexes uncompressed and this reader does not decompress snappy.");
        if (type != NoCompression)
            throw new InvalidDataException($"{what}: block at byte {start} has unknown compression type {type}.");
    }

    private static List<TableEntry> DecodeEntries(byte[] file, int start, int size, string what, ref long keyBudget)
    {
        if (size < 4)
            throw new InvalidDataException($"{what}: block at byte {start} has {size} bytes, too few for its restart count.");
        int end = start + size;
        uint numRestarts = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(end - 4, 4));
        if (numRestarts == 0 || numRestarts > (uint)(size - 4) / 4)
            throw new InvalidDataException($"{what}: block at byte {start} claims {numRestarts} restart points, impossible in {size} bytes.");
        int restartsStart = end - 4 - 4 * (int)numRestarts;

        var entries = new List<TableEntry>();
        var entryStarts = new Dictionary<int, int>(); // offset within the block → shared length
        byte[] previous = [];
        int pos = start;
        while (pos < restartsStart)
        {
            int entryOffset = pos - start;
            string where = $"{what}: entry at block offset {entryOffset}";
            int shared = Varint.ReadLength(file, ref pos, restartsStart, where);
            int unshared = Varint.ReadLength(file, ref pos, restartsStart, where);
            int valueLength = Varint.ReadLength(file, ref pos, restartsStart, where);
            if (shared > previous.Length)
                throw new InvalidDataException($"{where}: shares {shared} key bytes with a previous key of {previous.Length}.");
            if ((long)unshared + valueLength > restartsStart - pos)
                throw new InvalidDataException($"{where}: key and value ({unshared} + {valueLength} bytes) run past the entries region.");
            // Prefix sharing lets a small hostile block describe huge keys (each entry repeating the whole
            // previous key); the budget bounds the memory that decoding may take.
            keyBudget -= shared + unshared;
            if (keyBudget < 0)
                throw new InvalidDataException($"{where}: the table's keys decode to more bytes than any checkpoint index holds; the file is corrupt or hostile.");
            var key = new byte[shared + unshared];
            previous.AsSpan(0, shared).CopyTo(key);
            file.AsSpan(pos, unshared).CopyTo(key.AsSpan(shared));
            pos += unshared;
            entries.Add(new TableEntry(key, new ArraySegment<byte>(file, pos, valueLength)));
            pos += valueLength;
            entryStarts[entryOffset] = shared;
            previous = key;
        }
        VerifyRestarts(file, restartsStart, (int)numRestarts, entryStarts, size, what, start);
        return entries;
    }

    // Every restart offset must be the start of an entry that stores its whole key, in ascending order;
    // an empty block has the single restart offset 0. (The first entry sharing nothing is already enforced:
    // there is no previous key to share with.)
    private static void VerifyRestarts(byte[] file, int restartsStart, int count, Dictionary<int, int> entryStarts, int size, string what, int blockStart)
    {
        int last = -1;
        for (int i = 0; i < count; i++)
        {
            int offset = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(restartsStart + 4 * i, 4)), int.MaxValue);
            bool emptyBlock = entryStarts.Count == 0 && offset == 0;
            bool valid = offset > last && (emptyBlock || (entryStarts.TryGetValue(offset, out int shared) && shared == 0));
            if (!valid)
                throw new InvalidDataException($"{what}: block at byte {blockStart} (size {size}) has an invalid restart point {i} (offset {offset}).");
            last = offset;
        }
    }
}
