using Google.Protobuf;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Reads the base-128 varints that LevelDB tables use for block handles and entry headers. They are the
/// protobuf wire encoding, so protobuf's own reader decodes them; this only adapts it to positions in a
/// byte array and turns its errors into <see cref="InvalidDataException"/>s that say where.
/// </summary>
internal static class Varint
{
    /// <summary>Reads a varint of up to 64 bits at <paramref name="pos"/> (not past <paramref name="end"/>) and advances.</summary>
    public static ulong ReadUInt64(byte[] buffer, ref int pos, int end, string where)
    {
        var input = Open(buffer, pos, end, where);
        try
        {
            ulong value = input.ReadUInt64();
            pos = (int)input.Position;
            return value;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{where}: truncated or overlong varint at byte {pos}.", e);
        }
    }

    /// <summary>Reads a varint that must fit a non-negative int (a length or count within one block).</summary>
    public static int ReadLength(byte[] buffer, ref int pos, int end, string where)
    {
        int start = pos;
        ulong value = ReadUInt64(buffer, ref pos, end, where);
        if (value > int.MaxValue)
            throw new InvalidDataException($"{where}: length {value} at byte {start} is out of range.");
        return (int)value;
    }

    private static CodedInputStream Open(byte[] buffer, int pos, int end, string where)
    {
        if (pos < 0 || end > buffer.Length || pos >= end)
            throw new InvalidDataException($"{where}: a varint is expected at byte {pos}, past the end of its region.");
        return new CodedInputStream(buffer, pos, end - pos);
    }
}
