using Derain.Tensors.Kernels;

namespace Derain.Data.Synthesis;

/// <summary>
/// How many threads synthesis uses: <see cref="KernelBackend.Threads"/> (DERAIN_THREADS), like every other kernel,
/// unless the current flow overrides it (tests check that the thread count does not change a single byte).
/// </summary>
internal static class SynthesisParallel
{
    private static readonly AsyncLocal<int?> Override = new();

    public static ParallelOptions Options => new() { MaxDegreeOfParallelism = Override.Value ?? KernelBackend.Threads };

    /// <summary>Uses <paramref name="threads"/> threads in this flow until the returned scope is disposed.</summary>
    public static IDisposable WithThreads(int threads)
    {
        var previous = Override.Value;
        Override.Value = Math.Max(1, threads);
        return new Scope(() => Override.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
