using System.Buffers.Binary;

namespace Derain.NN.Checkpoints;

/// <summary>The element types checkpoints store, all read as little-endian and converted to float32.</summary>
public enum StoredElementType
{
    /// <summary>IEEE binary32 (torch.float32, safetensors F32).</summary>
    Float32,
    /// <summary>IEEE binary64 (torch.float64, F64).</summary>
    Float64,
    /// <summary>IEEE binary16 (torch.float16, F16).</summary>
    Float16,
    /// <summary>bfloat16: the upper half of a binary32 (torch.bfloat16, BF16).</summary>
    BFloat16,
    /// <summary>torch.int64, I64.</summary>
    Int64,
    /// <summary>torch.int32, I32.</summary>
    Int32,
    /// <summary>torch.int16, I16.</summary>
    Int16,
    /// <summary>torch.int8, I8.</summary>
    Int8,
    /// <summary>torch.uint8, U8.</summary>
    UInt8,
    /// <summary>torch.bool, BOOL (one byte, 0 or 1).</summary>
    Bool,
    /// <summary>Unsigned 16-bit (TensorFlow DT_UINT16, U16).</summary>
    UInt16,
    /// <summary>Unsigned 32-bit (TensorFlow DT_UINT32, U32).</summary>
    UInt32,
    /// <summary>Unsigned 64-bit (TensorFlow DT_UINT64, U64).</summary>
    UInt64,
}

/// <summary>Sizes, names and the conversion to float32 of <see cref="StoredElementType"/>.</summary>
public static class StoredElementTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this StoredElementType type) => type switch
    {
        StoredElementType.Float64 or StoredElementType.Int64 or StoredElementType.UInt64 => 8,
        StoredElementType.Float32 or StoredElementType.Int32 or StoredElementType.UInt32 => 4,
        StoredElementType.Float16 or StoredElementType.BFloat16 or StoredElementType.Int16 or StoredElementType.UInt16 => 2,
        _ => 1,
    };

    /// <summary>The PyTorch dtype name (float32, bfloat16, int64, …).</summary>
    public static string TorchName(this StoredElementType type) => type switch
    {
        StoredElementType.Float32 => "float32",
        StoredElementType.Float64 => "float64",
        StoredElementType.Float16 => "float16",
        StoredElementType.BFloat16 => "bfloat16",
        StoredElementType.Int64 => "int64",
        StoredElementType.Int32 => "int32",
        StoredElementType.Int16 => "int16",
        StoredElementType.Int8 => "int8",
        StoredElementType.UInt8 => "uint8",
        StoredElementType.Bool => "bool",
        StoredElementType.UInt16 => "uint16",
        StoredElementType.UInt32 => "uint32",
        StoredElementType.UInt64 => "uint64",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Element <paramref name="index"/> of little-endian <paramref name="bytes"/>, as float32.</summary>
    public static float Decode(this StoredElementType type, ReadOnlySpan<byte> bytes, int index)
    {
        int size = type.Size();
        var b = bytes.Slice(index * size, size);
        return type switch
        {
            StoredElementType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b),
            StoredElementType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
            StoredElementType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
            // bfloat16 is the high 16 bits of a float32, so widening is exact.
            StoredElementType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
            StoredElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b),
            StoredElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
            StoredElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b),
            StoredElementType.Int8 => (sbyte)b[0],
            StoredElementType.UInt8 => b[0],
            StoredElementType.Bool => b[0] != 0 ? 1f : 0f,
            StoredElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
            StoredElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
            StoredElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(b),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    /// <summary>Converts a whole contiguous run of elements.</summary>
    public static void DecodeAll(this StoredElementType type, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        if (type == StoredElementType.Float32 && BitConverter.IsLittleEndian)
        {
            // The common case: a straight copy.
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes[..(destination.Length * 4)]).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++) destination[i] = type.Decode(bytes, i);
    }
}
