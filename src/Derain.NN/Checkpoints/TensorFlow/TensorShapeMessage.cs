using static Google.Protobuf.WireFormat;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// TensorShapeProto (tensorflow/core/framework/tensor_shape.proto). Fields read: 2 dim (repeated Dim, whose
/// field 1 is size, int64; its name, field 2, is skipped) and 3 unknown_rank (bool), which a stored tensor
/// cannot have.
/// </summary>
internal static class TensorShapeMessage
{
    /// <summary>Appends the message's dimension sizes to <paramref name="dims"/>.</summary>
    public static void Parse(ReadOnlySpan<byte> bytes, string where, List<long> dims)
    {
        ProtoFields.Parse(bytes, where + " shape", (field, type, input) =>
        {
            switch (field)
            {
                case 2:
                    ProtoFields.Expect(type, WireType.LengthDelimited, where, "shape.dim");
                    dims.Add(ParseDim(input.ReadBytes().Span, where));
                    return true;
                case 3:
                    ProtoFields.Expect(type, WireType.Varint, where, "shape.unknown_rank");
                    if (input.ReadBool()) throw new InvalidDataException($"{where}: a stored tensor has a shape of unknown rank.");
                    return true;
                default: return false;
            }
        });
    }

    private static long ParseDim(ReadOnlySpan<byte> bytes, string where)
    {
        long size = 0;
        ProtoFields.Parse(bytes, where + " shape.dim", (field, type, input) =>
        {
            if (field != 1) return false;
            ProtoFields.Expect(type, WireType.Varint, where, "shape.dim.size");
            size = input.ReadInt64();
            return true;
        });
        return size;
    }
}
