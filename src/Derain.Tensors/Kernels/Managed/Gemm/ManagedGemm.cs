using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Derain.Tensors.Kernels.Managed.Gemm;

/// <summary>Which micro-kernel the managed GEMM runs.</summary>
internal enum GemmPath
{
    /// <summary>The widest accelerated one.</summary>
    Auto,
    Vector512,
    Vector256,
    Scalar,
}

/// <summary>
/// Entry point of the managed GEMM on raw pointers (used by <see cref="ManagedKernels"/> and by the convolution
/// kernels on their scratch buffers): applies beta, picks the micro-kernel once per call, and runs the
/// blocked driver.
/// </summary>
internal static unsafe class ManagedGemm
{
    [ThreadStatic] private static GemmPath t_forcedPath;

    /// <summary>
    /// Forces a micro-kernel for GEMMs started on the current thread (tests use it to exercise the scalar and
    /// narrower fallbacks on hardware that would pick a wider one). Auto restores the normal choice.
    /// </summary>
    internal static GemmPath ForcedPath
    {
        get => t_forcedPath;
        set
        {
            if (!IsAvailable(value)) throw new PlatformNotSupportedException($"GEMM path {value} is not hardware accelerated here.");
            t_forcedPath = value;
        }
    }

    /// <summary>Whether <paramref name="path"/> can run at full speed on this machine.</summary>
    internal static bool IsAvailable(GemmPath path) => path switch
    {
        GemmPath.Vector512 => Vector512.IsHardwareAccelerated,
        // Vector256.FusedMultiplyAdd is emulated element by element without the FMA instruction set.
        GemmPath.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };

    /// <summary>The micro-kernel a call on this thread uses.</summary>
    internal static GemmPath CurrentPath => t_forcedPath != GemmPath.Auto ? t_forcedPath
        : IsAvailable(GemmPath.Vector512) ? GemmPath.Vector512
        : IsAvailable(GemmPath.Vector256) ? GemmPath.Vector256
        : GemmPath.Scalar;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on up to <paramref name="threads"/> threads (arguments already validated).</summary>
    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        // BLAS semantics: with k = 0 or alpha = 0, A and B are not read (NaNs there do not reach C).
        if (k == 0 || alpha == T.Zero) return;
        switch (CurrentPath)
        {
            case GemmPath.Vector512:
                GemmDriver<T, MicroKernel512<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, threads);
                break;
            case GemmPath.Vector256:
                GemmDriver<T, MicroKernel256<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, threads);
                break;
            default:
                GemmDriver<T, MicroKernelScalar<T>>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, threads);
                break;
        }
    }

    /// <summary>C ← beta·C, where beta = 0 overwrites (so NaN or Inf already in C does not survive).</summary>
    private static void ScaleC<T>(int m, int n, T beta, T* c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (long)i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>
    /// C_i = op(A_i)·op(B_i) for i in [0, batch) with dense operands at fixed strides (0 repeats one matrix).
    /// Many small products run one per thread; large ones run one after another, each using every thread.
    /// </summary>
    public static void RunBatched<T>(int batch, bool transA, bool transB, int m, int n, int k,
        T* a, long strideA, T* b, long strideB, T* c, long strideC, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        bool perThread = threads > 1 && batch > 1 && (long)m * n * k < (1L << 21);
        if (!perThread)
        {
            for (int i = 0; i < batch; i++)
                Run(transA, transB, m, n, k, T.One, a + i * strideA, lda, b + i * strideB, ldb, T.Zero, c + i * strideC, n, threads);
            return;
        }
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        var path = t_forcedPath;
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            // Worker threads inherit the caller's forced path so tests of a path cover batched calls too.
            var saved = t_forcedPath;
            t_forcedPath = path;
            try
            {
                Run(transA, transB, m, n, k, T.One, (T*)pa + i * strideA, lda, (T*)pb + i * strideB, ldb, T.Zero, (T*)pc + i * strideC, n, 1);
            }
            finally
            {
                t_forcedPath = saved;
            }
        });
    }
}
