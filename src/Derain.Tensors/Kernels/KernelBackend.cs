using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors.Kernels;

/// <summary>
/// Chooses the backend that runs float32 kernels (oneDNN when libdnnl.so.2 loads, the managed kernels
/// otherwise, with a one-line notice) and holds the thread-count setting both follow. Float64 always runs on
/// the managed kernels. Set DERAIN_BACKEND=managed to force the managed backend and DERAIN_THREADS=N to set
/// the thread count (default: all cores).
/// </summary>
public static class KernelBackend
{
    private static IKernels? _float32;
    private static int _threads = ReadThreadsSetting();

    /// <summary>The backend for element type <typeparamref name="T"/>.</summary>
    public static IKernels For<T>() => typeof(T) == typeof(float) ? Float32 : ManagedKernels.Instance;

    /// <summary>The backend for <paramref name="dtype"/>.</summary>
    public static IKernels For(DType dtype) => dtype == DType.Float32 ? Float32 : ManagedKernels.Instance;

    /// <summary>The float32 backend in use (chosen on first use).</summary>
    public static IKernels Float32
    {
        get => _float32 ??= Choose();
        set => _float32 = value;
    }

    /// <summary>Threads every backend may use; set before the first oneDNN call to take effect there.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = Math.Max(1, value);
    }

    private static IKernels Choose()
        => Choose(Environment.GetEnvironmentVariable("DERAIN_BACKEND"), DnnlKernels.TryCreate, () => DnnlKernels.UnavailableReason, Console.Error);

    /// <summary>
    /// The selection rule: "managed" forces the managed kernels silently; otherwise oneDNN when it loads, else
    /// the managed kernels with one line on <paramref name="notice"/> saying why and how to install oneDNN.
    /// </summary>
    internal static IKernels Choose(string? backendSetting, Func<IKernels?> tryNative, Func<string?> whyNot, TextWriter notice)
    {
        if (string.Equals(backendSetting, "managed", StringComparison.OrdinalIgnoreCase)) return ManagedKernels.Instance;
        var native = tryNative();
        if (native is not null) return native;
        notice.WriteLine($"derain: {whyNot() ?? "oneDNN (libdnnl.so.2) not available"}; using the managed kernels (slower). Install with: apt-get install libdnnl2");
        return ManagedKernels.Instance;
    }

    private static int ReadThreadsSetting()
    {
        var s = Environment.GetEnvironmentVariable("DERAIN_THREADS");
        return int.TryParse(s, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }

    /// <summary>Options for managed Parallel.For loops that follow <see cref="Threads"/>.</summary>
    internal static ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = _threads };

}
