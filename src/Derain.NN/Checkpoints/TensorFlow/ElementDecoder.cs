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
        Stored(type).DecodeAll(source, destination);
    }

    /// <summary>The shared element type with the same byte layout (the conversion itself lives there).</summary>
    private static StoredElementType Stored(TensorFlowDataType type) => type switch
    {
        TensorFlowDataType.Float => StoredElementType.Float32,
        TensorFlowDataType.Double => StoredElementType.Float64,
        TensorFlowDataType.Half => StoredElementType.Float16,
        TensorFlowDataType.BFloat16 => StoredElementType.BFloat16,
        TensorFlowDataType.Int32 => StoredElementType.Int32,
        TensorFlowDataType.UInt32 => StoredElementType.UInt32,
        TensorFlowDataType.Int64 => StoredElementType.Int64,
        TensorFlowDataType.UInt64 => StoredElementType.UInt64,
        TensorFlowDataType.Int16 => StoredElementType.Int16,
        TensorFlowDataType.UInt16 => StoredElementType.UInt16,
        TensorFlowDataType.Int8 => StoredElementType.Int8,
        TensorFlowDataType.UInt8 => StoredElementType.UInt8,
        TensorFlowDataType.Bool => StoredElementType.Bool,
        _ => throw new NotSupportedException($"{TensorFlowDataTypes.Name(type)} tensors cannot be converted to float32."),
    };
}
