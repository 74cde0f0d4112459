using System.Reflection;
using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

/// <summary>
/// The oneDNN 2.6 C API as Derain calls it. The raw imports are private; every wrapper passes the returned
/// dnnl_status_t through <see cref="Check"/>, the single place that turns an error into a
/// <see cref="DnnlException"/> naming the call, so no status can be ignored. Handles are plain nint and never
/// leave the Dnnl namespace. Split by area: engine/stream/library (this file and .Engine), memory, primitives
/// and op descriptors, sgemm.
/// </summary>
internal static unsafe partial class DnnlNative
{
    /// <summary>The library name the imports use; the resolver maps it to <see cref="LibraryFile"/>.</summary>
    private const string Library = "dnnl";

    /// <summary>The versioned soname: the unversioned libdnnl.so exists only with the -dev package.</summary>
    internal const string LibraryFile = "libdnnl.so.2";

    private const string LibC = "libc";
    private const string LibCFile = "libc.so.6";

    private static readonly Lock LoadGate = new();
    private static nint _handle;
    private static string? _loadFailure;

    static DnnlNative()
    {
        // One resolver per assembly is allowed; this is the only native code in Derain.Tensors.
        NativeLibrary.SetDllImportResolver(typeof(DnnlNative).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == Library)
        {
            // Never let default probing find a libdnnl on its own: it must be loaded by EnsureLoaded, after
            // the OpenMP environment is set.
            if (!TryLoad(KernelBackend.Threads, out string? failure))
                throw new DllNotFoundException(failure);
            return _handle;
        }
        if (name == LibC) return NativeLibrary.Load(LibCFile);
        return 0;
    }

    /// <summary>
    /// Loads libdnnl.so.2 once. GNU OpenMP reads OMP_NUM_THREADS in its load-time constructor, and libgomp is
    /// loaded together with libdnnl, so the variable is set in the native environment (libc setenv; .NET's
    /// Environment.SetEnvironmentVariable only changes the managed copy) right before the load.
    /// </summary>
    internal static bool TryLoad(int threads, out string? failure)
    {
        lock (LoadGate)
        {
            if (_handle != 0) { failure = null; return true; }
            if (_loadFailure is not null) { failure = _loadFailure; return false; }
            if (!OperatingSystem.IsLinux())
            {
                failure = _loadFailure = $"oneDNN ({LibraryFile}) is only used on Linux";
                return false;
            }
            SetNativeEnvironment("OMP_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // OpenMP workers that spin after each oneDNN call steal the cores from Derain's own worker threads, which
            // run the elementwise ops in between: one EEVRSR training step (batch 8 of 5×128×128, 2 threads, same machine
            // load) took 4.2 s with the default (active) policy and 1.65 s with passive waiting. A user's setting wins.
            if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) SetNativeEnvironment("OMP_WAIT_POLICY", "PASSIVE");
            if (!TryOpen(LibraryFile, out nint handle, out failure))
            {
                _loadFailure = failure;
                return false;
            }
            _handle = handle;
            return true;
        }
    }

    /// <summary>Opens <paramref name="file"/> and accepts it only if dnnl_version() reports major version 2.</summary>
    internal static bool TryOpen(string file, out nint handle, out string? failure)
    {
        if (!NativeLibrary.TryLoad(file, out handle))
        {
            failure = $"oneDNN ({file}) not found";
            return false;
        }
        var version = ReadVersion(handle);
        if (version.Major != 2)
        {
            failure = $"oneDNN ({file}) reports version {version.Major}.{version.Minor}.{version.Patch}; Derain needs 2.x";
            NativeLibrary.Free(handle);
            handle = 0;
            return false;
        }
        failure = null;
        return true;
    }

    /// <summary>
    /// Reads dnnl_version() through the export directly: the typed imports resolve through <see cref="Resolve"/>,
    /// which only succeeds after this check passed.
    /// </summary>
    private static DnnlVersion ReadVersion(nint handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "dnnl_version", out nint fn)) return default;
        var version = ((delegate* unmanaged<DnnlVersion*>)fn)();
        return version is null ? default : *version;
    }

    /// <summary>The library's version (after a successful load).</summary>
    internal static DnnlVersion Version => ReadVersion(_handle);

    /// <summary>Throws <see cref="DnnlException"/> unless <paramref name="status"/> is success.</summary>
    internal static void Check(DnnlStatus status, string call, string? context = null)
    {
        if (status != DnnlStatus.Success)
            throw new DnnlException(call, StatusName(status), context);
    }

    /// <summary>The C name of a status value.</summary>
    internal static string StatusName(DnnlStatus status) => status switch
    {
        DnnlStatus.Success => "dnnl_success",
        DnnlStatus.OutOfMemory => "dnnl_out_of_memory",
        DnnlStatus.InvalidArguments => "dnnl_invalid_arguments",
        DnnlStatus.Unimplemented => "dnnl_unimplemented",
        DnnlStatus.IteratorEnds => "dnnl_iterator_ends",
        DnnlStatus.RuntimeError => "dnnl_runtime_error",
        DnnlStatus.NotRequired => "dnnl_not_required",
        _ => $"dnnl_status_t {(int)status}",
    };

    [LibraryImport(LibC, EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnvNative(string name, string value, int overwrite);

    /// <summary>Sets a variable in the C library's environment, where native libraries read it.</summary>
    internal static void SetNativeEnvironment(string name, string value)
    {
        if (SetEnvNative(name, value, 1) != 0)
            throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}.");
        Environment.SetEnvironmentVariable(name, value);
    }
}
