using Google.Protobuf;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Small helpers for reading chosen fields of a protobuf message with <see cref="CodedInputStream"/>, by
/// field number, without generated classes. Unknown fields are skipped (proto3 readers must tolerate them);
/// a known field number with the wrong wire type is an error, as is any malformed encoding.
/// </summary>
internal static class ProtoFields
{
    /// <summary>Visits each field of the message in <paramref name="bytes"/>: (field number, wire type, stream).
    /// The visitor returns false for fields it did not consume, which are then skipped.</summary>
    public static void Parse(ReadOnlySpan<byte> bytes, string where, Func<int, WireFormat.WireType, CodedInputStream, bool> visit)
    {
        var input = new CodedInputStream(bytes.ToArray());
        try
        {
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (!visit(WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag), input))
                    input.SkipLastField();
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{where}: malformed protobuf message ({e.Message})", e);
        }
    }

    /// <summary>Throws unless field <paramref name="name"/> has wire type <paramref name="expected"/>.</summary>
    public static void Expect(WireFormat.WireType actual, WireFormat.WireType expected, string where, string name)
    {
        if (actual != expected)
            throw new InvalidDataException($"{where}: field {name} has wire type {actual}, expected {expected}.");
    }
}
