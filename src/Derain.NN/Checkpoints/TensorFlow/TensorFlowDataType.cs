namespace Derain.NN.Checkpoints.TensorFlow;

/// <summary>
/// TensorFlow's DataType enum (tensorflow/core/framework/types.proto) as stored in BundleEntryProto.dtype.
/// Only the non-reference values occur in checkpoints.
/// </summary>
public enum TensorFlowDataType
{
    Invalid = 0,
    Float = 1,
    Double = 2,
    Int32 = 3,
    UInt8 = 4,
    Int16 = 5,
    Int8 = 6,
    String = 7,
    Complex64 = 8,
    Int64 = 9,
    Bool = 10,
    QInt8 = 11,
    QUInt8 = 12,
    QInt32 = 13,
    BFloat16 = 14,
    QInt16 = 15,
    QUInt16 = 16,
    UInt16 = 17,
    Complex128 = 18,
    Half = 19,
    Resource = 20,
    Variant = 21,
    UInt32 = 22,
    UInt64 = 23,
}

/// <summary>Names and element sizes of <see cref="TensorFlowDataType"/> values.</summary>
public static class TensorFlowDataTypes
{
    /// <summary>TensorFlow's own spelling, e.g. DT_FLOAT, DT_BFLOAT16; unknown codes read DT_UNKNOWN_&lt;n&gt;.</summary>
    public static string Name(TensorFlowDataType type) => type switch
    {
        TensorFlowDataType.Float => "DT_FLOAT",
        TensorFlowDataType.Double => "DT_DOUBLE",
        TensorFlowDataType.Int32 => "DT_INT32",
        TensorFlowDataType.UInt8 => "DT_UINT8",
        TensorFlowDataType.Int16 => "DT_INT16",
        TensorFlowDataType.Int8 => "DT_INT8",
        TensorFlowDataType.String => "DT_STRING",
        TensorFlowDataType.Complex64 => "DT_COMPLEX64",
        TensorFlowDataType.Int64 => "DT_INT64",
        TensorFlowDataType.Bool => "DT_BOOL",
        TensorFlowDataType.QInt8 => "DT_QINT8",
        TensorFlowDataType.QUInt8 => "DT_QUINT8",
        TensorFlowDataType.QInt32 => "DT_QINT32",
        TensorFlowDataType.BFloat16 => "DT_BFLOAT16",
        TensorFlowDataType.QInt16 => "DT_QINT16",
        TensorFlowDataType.QUInt16 => "DT_QUINT16",
        TensorFlowDataType.UInt16 => "DT_UINT16",
        TensorFlowDataType.Complex128 => "DT_COMPLEX128",
        TensorFlowDataType.Half => "DT_HALF",
        TensorFlowDataType.Resource => "DT_RESOURCE",
        TensorFlowDataType.Variant => "DT_VARIANT",
        TensorFlowDataType.UInt32 => "DT_UINT32",
        TensorFlowDataType.UInt64 => "DT_UINT64",
        TensorFlowDataType.Invalid => "DT_INVALID",
        _ => $"DT_UNKNOWN_{(int)type}",
    };

    /// <summary>
    /// Bytes per element for the types this reader converts to float32 (real numbers stored raw,
    /// little-endian); 0 for the rest: strings, resources and variants have no fixed size, complex numbers
    /// have no float32 value, and quantized types need scales that are stored elsewhere.
    /// </summary>
    public static int ConvertibleElementSize(TensorFlowDataType type) => type switch
    {
        TensorFlowDataType.Float or TensorFlowDataType.Int32 or TensorFlowDataType.UInt32 => 4,
        TensorFlowDataType.Double or TensorFlowDataType.Int64 or TensorFlowDataType.UInt64 => 8,
        TensorFlowDataType.Half or TensorFlowDataType.BFloat16 or TensorFlowDataType.Int16 or TensorFlowDataType.UInt16 => 2,
        TensorFlowDataType.UInt8 or TensorFlowDataType.Int8 or TensorFlowDataType.Bool => 1,
        _ => 0,
    };
}
