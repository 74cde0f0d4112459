namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Reads a whole LevelDB-format table (TensorFlow's "SSTable", used for checkpoint indexes): the footer
/// names an index block whose entries map a separator key to the handle of a data block; the data blocks
/// hold the actual key/value pairs in ascending byte order. The metaindex block (filters, unused by
/// TensorFlow bundles) is checksum-verified and otherwise ignored.
/// </summary>
internal static class TableFile
{
    /// <summary>Total decoded key bytes allowed per table: tensor names are short, so real indexes stay far below.</summary>
    public const long MaxKeyBytes = 256L << 20;

    /// <summary>All key/value pairs in key order, every block's CRC verified.</summary>
    public static List<TableEntry> ReadAll(byte[] file, string path)
    {
        long keyBudget = MaxKeyBytes;
        var footer = TableFooter.Decode(file, path);
        int tableEnd = file.Length - TableFooter.Size;
        TableBlock.Read(file, footer.MetaIndex, tableEnd, $"{path}: metaindex block", ref keyBudget);
        var index = TableBlock.Read(file, footer.Index, tableEnd, $"{path}: index block", ref keyBudget);

        var all = new List<TableEntry>();
        byte[]? lastKey = null;
        foreach (var indexEntry in index)
        {
            string what = $"{path}: data block";
            var handle = BlockHandle.DecodeExact(indexEntry.Value, $"{path}: index block entry");
            var block = TableBlock.Read(file, handle, tableEnd, what, ref keyBudget);
            foreach (var entry in block)
            {
                // Keys must strictly ascend across the whole table and stay at or below their block's
                // separator in the index; anything else means blocks were mixed up or keys damaged.
                if (lastKey is not null && entry.Key.AsSpan().SequenceCompareTo(lastKey) <= 0)
                    throw new InvalidDataException($"{what} at byte {handle.Offset}: keys are out of order; the table is corrupt.");
                if (entry.Key.AsSpan().SequenceCompareTo(indexEntry.Key) > 0)
                    throw new InvalidDataException($"{what} at byte {handle.Offset}: a key lies above the block's index separator; the table is corrupt.");
                lastKey = entry.Key;
                all.Add(entry);
            }
        }
        return all;
    }
}
