using System.Buffers.Binary;
using System.Text;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// Reads a pickle's bytes from a stream holding at most <paramref name="length"/> of them. Every declared length
/// (strings, bytes, ints) is checked against what remains before anything is allocated, so a header claiming
/// gigabytes in a small file fails at once instead of exhausting memory.
/// </summary>
internal sealed class PickleInput(Stream stream, long length)
{
    private const int MaxLineLength = 1024;

    /// <summary>Bytes consumed so far.</summary>
    public long Position { get; private set; }

    public long Remaining => length - Position;

    public byte ReadByte()
    {
        if (Remaining < 1) throw Truncated();
        int b = stream.ReadByte();
        if (b < 0) throw Truncated();
        Position++;
        return (byte)b;
    }

    /// <summary>Reads <paramref name="count"/> bytes of a value described by <paramref name="what"/>.</summary>
    public byte[] ReadBytes(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"a {what} declares a length of {count} bytes but only {Remaining} bytes remain.");
        var buffer = new byte[count];
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Truncated();
        }
        Position += count;
        return buffer;
    }

    public int ReadUInt8() => ReadByte();

    public int ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadFixed(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadFixed(4));

    public long ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadFixed(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadFixed(8));

    /// <summary>BINFLOAT is the one big-endian field of the format.</summary>
    public double ReadDoubleBigEndian() => BinaryPrimitives.ReadDoubleBigEndian(ReadFixed(8));

    /// <summary>A newline-terminated ASCII line (GLOBAL's module and name).</summary>
    public string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            byte b = ReadByte();
            if (b == '\n') return sb.ToString();
            if (sb.Length >= MaxLineLength) throw new InvalidDataException($"a GLOBAL name is longer than {MaxLineLength} characters.");
            sb.Append((char)b);
        }
    }

    private byte[] ReadFixed(int count) => ReadBytes(count, "fixed-size field");

    private static InvalidDataException Truncated()
        => new("the data ends inside the pickle (truncated file?).");
}
