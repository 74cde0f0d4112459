namespace Derain.Tensors;

/// <summary>Element type of a <see cref="Tensor"/>. Float32 is the product's type; Float64 exists for
/// finite-difference gradient checks and float64 references, and runs on the managed backend only.</summary>
public enum DType
{
    /// <summary>torch.float32</summary>
    Float32,
    /// <summary>torch.float64</summary>
    Float64,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>The dtype of a CLR element type (float or double).</summary>
    public static DType Of<T>() => typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"Element type {typeof(T).Name} is not a tensor dtype (float or double).");
}
