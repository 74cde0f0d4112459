using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// Converts raw little-endian tensor elements, as TensorFlow's bundle writer stores them, to float32.
/// bfloat16 is the upper half of a float32; half is IEEE 754 binary16; integers are rounded to the nearest
/// float32 (exact up to 2^24 in magnitude).
/// </summary>
internal static class ElementDecoder
{
    /// <summary>
    /// Decodes <paramref name="source"/> (whole elements of <paramref name="type"/>) into
    /// <paramref name="destination"/>, one float per element.
    /// </summary>
    public static void ToFloat32(TensorFlowDataType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int size = TensorFlowDataTypes.ConvertibleElementSize(type);
        if (size == 0)
            throw new NotSupportedException($"{TensorFlowDataTypes.Name(type)} tensors cannot be converted to float32.");
        if (source.Length % size != 0 || source.Length / size != destination.Length)
            throw new ArgumentException($"{source.Length} bytes of {TensorFlowDataTypes.Name(type)} do not make {destination.Length} elements.");
        if (type == TensorFlowDataType.Float && BitConverter.IsLittleEndian)
        {
            // Nearly every checkpoint tensor is float32: copy it as a block instead of per element.
            MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++)
        {
            var e = source.Slice(i * size, size);
            destination[i] = type switch
            {
                TensorFlowDataType.Float => BinaryPrimitives.ReadSingleLittleEndian(e),
                TensorFlowDataType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
                TensorFlowDataType.Half => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                TensorFlowDataType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                TensorFlowDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                TensorFlowDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                TensorFlowDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                TensorFlowDataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
                TensorFlowDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                TensorFlowDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                TensorFlowDataType.Int8 => (sbyte)e[0],
                TensorFlowDataType.UInt8 => e[0],
                TensorFlowDataType.Bool => e[0] != 0 ? 1f : 0f,
                _ => throw new NotSupportedException(TensorFlowDataTypes.Name(type)),
            };
        }
    }
}
