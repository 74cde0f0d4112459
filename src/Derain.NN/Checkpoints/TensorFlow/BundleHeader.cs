using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// BundleHeaderProto (tensorflow/core/protobuf/tensor_bundle.proto), the value stored under the empty key of
/// a checkpoint index. Fields read: 1 num_shards (int32), 2 endianness (enum, 0 little, 1 big),
/// 3 version (VersionDef: 1 producer, 2 min_consumer, both int32).
/// </summary>
internal sealed record BundleHeader(int NumShards, bool BigEndian, int Producer, int MinConsumer)
{
    /// <summary>The bundle format version this reader understands (TensorFlow has written 1 since 2016).</summary>
    public const int SupportedVersion = 1;

    /// <summary>Decodes the header message.</summary>
    public static BundleHeader Parse(ReadOnlySpan<byte> bytes, string where)
    {
        int numShards = 0, endianness = 0, producer = 0, minConsumer = 0;
        ProtoFields.Parse(bytes, where, (field, type, input) =>
        {
            switch (field)
            {
                case 1: ProtoFields.Expect(type, WireType.Varint, where, "num_shards"); numShards = input.ReadInt32(); return true;
                case 2: ProtoFields.Expect(type, WireType.Varint, where, "endianness"); endianness = input.ReadEnum(); return true;
                case 3:
                    ProtoFields.Expect(type, WireType.LengthDelimited, where, "version");
                    ParseVersion(input.ReadBytes(), where, ref producer, ref minConsumer);
                    return true;
                default: return false;
            }
        });
        if (endianness is not (0 or 1))
            throw new InvalidDataException($"{where}: unknown endianness {endianness}.");
        return new BundleHeader(numShards, endianness == 1, producer, minConsumer);
    }

    private static void ParseVersion(ByteString bytes, string where, ref int producer, ref int minConsumer)
    {
        int p = producer, m = minConsumer;
        ProtoFields.Parse(bytes.Span, where + " version", (field, type, input) =>
        {
            switch (field)
            {
                case 1: ProtoFields.Expect(type, WireType.Varint, where, "version.producer"); p = input.ReadInt32(); return true;
                case 2: ProtoFields.Expect(type, WireType.Varint, where, "version.min_consumer"); m = input.ReadInt32(); return true;
                default: return false; // 3 bad_consumers: versions known to be broken; none concern a reader.
            }
        });
        producer = p;
        minConsumer = m;
    }
}
