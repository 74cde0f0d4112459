using System.Runtime.InteropServices;
using Derain.Tensors.Kernels;
using Derain.Tensors.Kernels.Dnnl;
using Derain.Tensors.Kernels.Dnnl.Native;
using Derain.Tensors.Kernels.Managed;
using Derain.Tensors.Tests.Infrastructure;
using static Derain.Tensors.Tests.Dnnl.DnnlTestSupport;

namespace Derain.Tensors.Tests.Dnnl;

/// <summary>Backend selection, the managed fallback, thread count, and error reporting of the oneDNN layer.</summary>
public class DnnlBackendTests
{
    private const string Notice = "derain: oneDNN (libdnnl.so.2) not found; using the managed kernels (slower). Install with: apt-get install libdnnl2";

    [Fact]
    public void Managed_setting_forces_the_managed_kernels_silently_without_probing_oneDNN()
    {
        var notice = new StringWriter();
        var chosen = KernelBackend.Choose("managed", () => throw new InvalidOperationException("must not probe"), () => null, notice);
        Assert.Same(ManagedKernels.Instance, chosen);
        Assert.Equal("", notice.ToString());
    }

    [Fact]
    public void Missing_oneDNN_falls_back_to_managed_with_one_notice_line()
    {
        var notice = new StringWriter();
        var chosen = KernelBackend.Choose(null, () => null, () => "oneDNN (libdnnl.so.2) not found", notice);
        Assert.Same(ManagedKernels.Instance, chosen);
        Assert.Equal(Notice + Environment.NewLine, notice.ToString());
    }

    [Fact]
    public void Installed_oneDNN_2_is_chosen_by_default()
    {
        var notice = new StringWriter();
        var chosen = KernelBackend.Choose(null, DnnlKernels.TryCreate, () => DnnlKernels.UnavailableReason, notice);
        var dnnl = Assert.IsType<DnnlKernels>(chosen);
        Assert.StartsWith("2.", dnnl.Version);
        Assert.Equal($"oneDNN {dnnl.Version}", dnnl.Name);
        Assert.Equal("", notice.ToString());
    }

    [Fact]
    public void A_library_that_cannot_be_opened_is_reported_not_thrown()
    {
        Assert.False(DnnlNative.TryOpen("libdnnl.so.999", out nint handle, out string? failure));
        Assert.Equal(0, handle);
        Assert.Equal("oneDNN (libdnnl.so.999) not found", failure);
    }

    /// <summary>The same GEMMs through the forced managed backend and through oneDNN agree with each other and with float64.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Managed_fallback_gives_the_same_results(bool transA, bool transB)
    {
        const int m = 23, n = 17, k = 31, pad = 3;
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = TestData.Uniform((transA ? k : m) * lda, 41);
        var b = TestData.Uniform((transB ? n : k) * ldb, 42);
        var c = TestData.Uniform(m * ldc, 43);
        var managedBackend = KernelBackend.Choose("managed", () => Backend, () => null, TextWriter.Null);
        var viaManaged = (float[])c.Clone();
        var viaDnnl = (float[])c.Clone();
        managedBackend.Gemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, viaManaged, ldc);
        Backend.Gemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, viaDnnl, ldc);
        var expected = NaiveGemm.Compute(transA, transB, m, n, k, 0.75, a, 0, lda, b, 0, ldb, -0.5, c, 0, ldc);
        AssertClose(expected, viaManaged, 1e-5, "managed");
        AssertClose(expected, viaDnnl, 1e-5, "oneDNN");
        AssertClose([.. viaManaged.Select(v => (double)v)], viaDnnl, 1e-5, "oneDNN vs managed");
    }

    /// <summary>
    /// KernelBackend.Threads must reach oneDNN's OpenMP runtime (GNU libgomp, loaded with libdnnl): its default
    /// thread count is read from the native OMP_NUM_THREADS at load time.
    /// </summary>
    [Fact]
    public unsafe void OpenMP_uses_the_configured_thread_count()
    {
        _ = Backend; // loads libdnnl (and with it libgomp)
        nint gomp = NativeLibrary.Load("libgomp.so.1");
        var ompGetMaxThreads = (delegate* unmanaged<int>)NativeLibrary.GetExport(gomp, "omp_get_max_threads");
        Assert.Equal(KernelBackend.Threads, ompGetMaxThreads());
    }

    [Fact]
    public unsafe void Native_errors_name_the_call_and_the_status()
    {
        _ = Backend;
        // POH arrays do not move, so the address stays valid inside the lambda.
        var a = GC.AllocateArray<float>(4, pinned: true);
        float* p = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(a, 0);
        {
            // lda = 1 < k = 2 for a row-major non-transposed A: oneDNN rejects it.
            var e = Assert.Throws<DnnlException>(() => DnnlNative.Sgemm(false, false, 2, 2, 2, 1f, p, 1, p, 2, 0f, p, 2));
            GC.KeepAlive(a);
            Assert.Equal("dnnl_sgemm", e.Call);
            Assert.Equal("dnnl_invalid_arguments", e.Status);
            Assert.Contains("dnnl_sgemm", e.Message);
            Assert.Contains("dnnl_invalid_arguments", e.Message);
        }
    }
}
