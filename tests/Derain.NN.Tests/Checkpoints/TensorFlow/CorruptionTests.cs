using System.Buffers.Binary;
using Derain.NN.Checkpoints.TensorFlow;

namespace Derain.NN.Tests.Checkpoints.TensorFlow;

/// <summary>
/// Damaged copies of the official derain-only checkpoint: every kind of damage gives a clear error that says
/// which file (and, for data, which tensor) is bad, never wrong numbers.
/// </summary>
public sealed class CorruptionTests
{
    private const string Conv1 = "DerainNet/DerainNet_conv1/W";
    private const string DataName = "model.ckpt.data-00000-of-00001";
    private const string IndexName = "model.ckpt.index";

    [Fact]
    public void A_flipped_data_byte_fails_that_tensors_checksum_naming_tensor_and_file()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        long offset, size;
        using (var ck = TensorFlowCheckpoint.Open(temp.Path))
            (_, offset, size) = ck.Locate(Conv1);
        FlipByte(temp.File(DataName), offset + size / 2);

        using var damaged = TensorFlowCheckpoint.Open(temp.Path); // the index is intact, so opening works
        var ex = Assert.Throws<InvalidDataException>(() => damaged.Read(Conv1));
        Assert.Contains(Conv1, ex.Message);
        Assert.Contains(temp.File(DataName), ex.Message);
        Assert.Contains("CRC-32C", ex.Message);
        // Only that tensor is affected.
        foreach (var e in damaged.Entries.Where(e => e.Name != Conv1))
            damaged.Read(e.Name).Dispose();
    }

    [Fact]
    public void A_flipped_byte_in_a_data_block_of_the_index_fails_the_block_checksum()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        FlipByte(temp.File(IndexName), 20); // inside the first data block, which starts at 0
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains(temp.File(IndexName), ex.Message);
        Assert.Contains("data block", ex.Message);
        Assert.Contains("CRC-32C", ex.Message);
    }

    [Fact]
    public void A_flipped_byte_in_the_index_block_fails_its_checksum()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        string index = temp.File(IndexName);
        var footer = TableFooter.Decode(File.ReadAllBytes(index), index);
        FlipByte(index, (long)footer.Index.Offset + 2);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("index block", ex.Message);
        Assert.Contains("CRC-32C", ex.Message);
    }

    [Fact]
    public void A_damaged_magic_number_is_refused()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        FlipByte(temp.File(IndexName), new FileInfo(temp.File(IndexName)).Length - 1);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("magic", ex.Message);
        Assert.False(TensorFlowCheckpoint.Probe(temp.Path));
    }

    [Theory]
    [InlineData(1)]      // the magic loses a byte
    [InlineData(4000)]   // footer gone, blocks cut
    public void A_truncated_index_is_refused(int cut)
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        Truncate(temp.File(IndexName), new FileInfo(temp.File(IndexName)).Length - cut);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains(temp.File(IndexName), ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void An_index_shorter_than_a_footer_is_refused()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        Truncate(temp.File(IndexName), 20);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("too short", ex.Message);
    }

    [Fact]
    public void A_truncated_data_shard_is_refused_on_open_naming_a_tensor_that_no_longer_fits()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        string data = temp.File(DataName);
        Truncate(data, new FileInfo(data).Length / 2);
        var ex = Assert.Throws<InvalidDataException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("do not fit data file", ex.Message);
        Assert.Contains(data, ex.Message);
        Assert.Contains("tensor '", ex.Message);
    }

    [Fact]
    public void A_missing_data_shard_is_named()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        File.Delete(temp.File(DataName));
        var ex = Assert.Throws<FileNotFoundException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains(temp.File(DataName), ex.Message);
    }

    [Fact]
    public void A_snappy_compressed_block_is_refused_as_unsupported()
    {
        using var temp = EevrsrCheckpoints.CopyTo(EevrsrCheckpoints.DerainOnly);
        string index = temp.File(IndexName);
        var bytes = File.ReadAllBytes(index);
        var footer = TableFooter.Decode(bytes, index);
        // Mark the index block snappy-compressed and re-seal its checksum, so only the compression type is wrong.
        int start = (int)footer.Index.Offset, size = (int)footer.Index.Size;
        bytes[start + size] = 1;
        uint crc = MaskedCrc32C.Mask(MaskedCrc32C.Compute(bytes.AsSpan(start, size + 1)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(start + size + 1), crc);
        File.WriteAllBytes(index, bytes);
        var ex = Assert.Throws<NotSupportedException>(() => TensorFlowCheckpoint.Open(temp.Path));
        Assert.Contains("snappy", ex.Message);
    }

    private static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        int b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x5A));
    }

    private static void Truncate(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.SetLength(length);
    }
}
