using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

// dnnl_sgemm: BLAS sgemm with row-major storage (oneDNN's convention, unlike Fortran BLAS).
internal static unsafe partial class DnnlNative
{
    [LibraryImport(Library, EntryPoint = "dnnl_sgemm")]
    private static partial DnnlStatus SgemmNative(byte transA, byte transB, long m, long n, long k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc);

    /// <summary>C = alpha·op(A)·op(B) + beta·C, all row-major; lda/ldb/ldc are row strides of the stored matrices.</summary>
    internal static void Sgemm(bool transA, bool transB, long m, long n, long k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc)
    {
        var status = SgemmNative(transA ? (byte)'T' : (byte)'N', transB ? (byte)'T' : (byte)'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        // The sizes are formatted only on failure: this runs once per GEMM.
        if (status != DnnlStatus.Success)
            Check(status, "dnnl_sgemm", $"transA={transA} transB={transB} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}");
    }
}
