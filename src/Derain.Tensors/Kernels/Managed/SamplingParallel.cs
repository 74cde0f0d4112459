namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// Parallel loops of the sampling kernels that stay on the calling thread when the work is small: waking pool
/// threads costs tens of microseconds, more than resizing a flow field or warping a tiny map takes.
/// </summary>
internal static class SamplingParallel
{
    /// <summary>Elements of work below which a loop runs sequentially.</summary>
    private const long MinParallelWork = 1 << 15;

    /// <summary>Runs body(0 … count − 1), in parallel when <paramref name="work"/> (≈ elements touched) is large enough.</summary>
    public static void For(int count, long work, Action<int> body)
    {
        if (count <= 1 || KernelBackend.Threads == 1 || work < MinParallelWork)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, KernelBackend.ParallelOptions, body);
    }
}
