using static Google.Protobuf.WireFormat;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// BundleEntryProto (tensorflow/core/protobuf/tensor_bundle.proto): where one tensor's bytes are. Fields read:
/// 1 dtype (DataType enum), 2 shape (TensorShapeProto), 3 shard_id (int32), 4 offset (int64), 5 size (int64),
/// 6 crc32c (fixed32, masked CRC-32C of the bytes), 7 slices (repeated TensorSliceProto; only counted:
/// a non-empty list marks a partitioned variable whose pieces are stored under other keys).
/// </summary>
internal sealed record BundleEntry(TensorFlowDataType DType, long[] Dims, int ShardId, long Offset, long Size, uint MaskedCrc, int SliceCount)
{
    /// <summary>Decodes one entry message.</summary>
    public static BundleEntry Parse(ReadOnlySpan<byte> bytes, string where)
    {
        int dtype = 0, shard = 0, slices = 0;
        long offset = 0, size = 0;
        uint crc = 0;
        var dims = new List<long>();
        ProtoFields.Parse(bytes, where, (field, type, input) =>
        {
            switch (field)
            {
                case 1: ProtoFields.Expect(type, WireType.Varint, where, "dtype"); dtype = input.ReadEnum(); return true;
                case 2:
                    ProtoFields.Expect(type, WireType.LengthDelimited, where, "shape");
                    // A message field given twice merges; for a shape that appends the dims.
                    TensorShapeMessage.Parse(input.ReadBytes().Span, where, dims);
                    return true;
                case 3: ProtoFields.Expect(type, WireType.Varint, where, "shard_id"); shard = input.ReadInt32(); return true;
                case 4: ProtoFields.Expect(type, WireType.Varint, where, "offset"); offset = input.ReadInt64(); return true;
                case 5: ProtoFields.Expect(type, WireType.Varint, where, "size"); size = input.ReadInt64(); return true;
                case 6: ProtoFields.Expect(type, WireType.Fixed32, where, "crc32c"); crc = input.ReadFixed32(); return true;
                case 7: ProtoFields.Expect(type, WireType.LengthDelimited, where, "slices"); input.ReadBytes(); slices++; return true;
                default: return false;
            }
        });
        return new BundleEntry((TensorFlowDataType)dtype, dims.ToArray(), shard, offset, size, crc, slices);
    }
}
