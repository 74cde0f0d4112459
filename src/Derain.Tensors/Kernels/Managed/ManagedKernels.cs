namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The portable reference backend: System.Numerics.Tensors primitives and Vector512/Vector256 loops with
/// scalar fallbacks, generic over float and double. It runs everywhere and is the oracle the oneDNN backend
/// is tested against. Each op group's kernels live in their own file of this partial class. Methods are
/// virtual so a native backend can override the float32 paths it accelerates.
/// </summary>
public partial class ManagedKernels : IKernels
{
    /// <summary>The shared instance.</summary>
    public static ManagedKernels Instance { get; } = new();

    /// <summary>Only subclasses (native backends) create further instances.</summary>
    protected ManagedKernels() { }

    /// <inheritdoc/>
    public virtual string Name => "managed";
}
