namespace Derain.NN.Checkpoints.SafeTensors;

/// <summary>The safetensors dtype names Derain reads, and the one it writes (F32).</summary>
internal static class SafeTensorsDTypes
{
    public const string Float32 = "F32";

    private static readonly Dictionary<string, StoredElementType> ByName = new(StringComparer.Ordinal)
    {
        ["F32"] = StoredElementType.Float32,
        ["F64"] = StoredElementType.Float64,
        ["F16"] = StoredElementType.Float16,
        ["BF16"] = StoredElementType.BFloat16,
        ["I64"] = StoredElementType.Int64,
        ["I32"] = StoredElementType.Int32,
        ["I16"] = StoredElementType.Int16,
        ["I8"] = StoredElementType.Int8,
        ["U8"] = StoredElementType.UInt8,
        ["BOOL"] = StoredElementType.Bool,
    };

    public static StoredElementType Parse(string name, string tensor)
        => ByName.TryGetValue(name, out var t) ? t
            : throw new InvalidDataException($"tensor '{tensor}' has dtype {name}, which is not supported (supported: {string.Join(", ", ByName.Keys)}).");
}
