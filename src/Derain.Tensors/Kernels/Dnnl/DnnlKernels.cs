using Derain.Tensors.Kernels.Dnnl.Native;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors.Kernels.Dnnl;

/// <summary>
/// The oneDNN 2.6 backend (libdnnl.so.2 through its C API): float32 convolutions (forward, backward data,
/// backward weights; 1-D to 3-D, groups, stride, dilation, asymmetric padding), GEMM (dnnl_sgemm) and batched
/// GEMM (matmul primitive). Everything else, and every float64 call, runs on the inherited managed kernels.
/// <para>
/// Primitives are built once per shape and cached (building one costs milliseconds of JIT). oneDNN picks
/// its preferred (blocked) layouts; the caller's plain row-major buffers are reordered in and out at the
/// boundary. Weights are reordered on every call rather than cached: kernels see only spans, and a span says
/// nothing about whether the bytes behind it changed since the last call (an optimizer step updates weights in
/// place), so a cache keyed on the address could return stale weights.
/// </para>
/// <para>
/// Calls into oneDNN are serialised by one lock. The Debian build runs on GNU OpenMP, where each calling
/// thread gets its own worker team; serialising keeps one team busy at a time on a machine with few cores.
/// Primitives use a user-managed scratchpad (a shared workspace) because oneDNN's library-managed scratchpad
/// must not be used from a thread other than the one that created the primitive, and .NET callers may move
/// between threads.
/// </para>
/// </summary>
public sealed partial class DnnlKernels : ManagedKernels, IDisposable
{
    private static readonly Lock InitGate = new();
    private static DnnlKernels? _instance;
    private static string? _unavailableReason;

    /// <summary>Serialises every oneDNN call in the process (all instances: the shared one and test-isolated ones).</summary>
    private static readonly Lock Gate = new();
    private readonly nint _engine;
    private readonly nint _stream;
    private readonly nint _attr;

    /// <summary>As <see cref="_attr"/>, plus a ReLU post-op on the output (fused convolution + ReLU).</summary>
    private readonly nint _reluAttr;
    private readonly DnnlWorkspace _workspace = new();
    private long _primitivesCreated;
    private bool _disposed;

    /// <summary>
    /// The oneDNN backend, or null when libdnnl.so.2 cannot be loaded or is not version 2.x (see
    /// <see cref="UnavailableReason"/>). Loading sets OMP_NUM_THREADS to <see cref="KernelBackend.Threads"/>,
    /// so set that first. The backend is a process-wide singleton.
    /// </summary>
    public static DnnlKernels? TryCreate()
    {
        lock (InitGate)
        {
            if (_instance is { _disposed: false }) return _instance;
            if (_unavailableReason is not null) return null;
            if (!DnnlNative.TryLoad(KernelBackend.Threads, out string? failure))
            {
                _unavailableReason = failure;
                return null;
            }
            try
            {
                _instance = new DnnlKernels();
            }
            catch (Exception e) when (e is DnnlException or EntryPointNotFoundException or DllNotFoundException)
            {
                _unavailableReason = $"oneDNN ({DnnlNative.LibraryFile}) failed to initialise: {e.Message}";
                return null;
            }
            return _instance;
        }
    }

    /// <summary>
    /// A separate instance with its own engine, caches and counters (the library must load), so tests can
    /// count primitive creations without interference from other users of the shared instance.
    /// </summary>
    internal static DnnlKernels CreateIsolated()
    {
        if (!DnnlNative.TryLoad(KernelBackend.Threads, out string? failure)) throw new DllNotFoundException(failure);
        return new DnnlKernels();
    }

    /// <summary>Why <see cref="TryCreate"/> returned null (null when it did not).</summary>
    public static string? UnavailableReason
    {
        get { lock (InitGate) return _unavailableReason; }
    }

    private DnnlKernels()
    {
        var v = DnnlNative.Version;
        Version = $"{v.Major}.{v.Minor}.{v.Patch}";
        _engine = DnnlNative.EngineCreate(DnnlEngineKind.Cpu, 0);
        _stream = DnnlNative.StreamCreate(_engine, DnnlStreamFlags.InOrder);
        _attr = DnnlNative.PrimitiveAttrCreate(DnnlScratchpadMode.User);
        _reluAttr = DnnlNative.PrimitiveAttrCreateWithRelu(DnnlScratchpadMode.User);
    }

    /// <inheritdoc/>
    public override string Name => $"oneDNN {Version}";

    /// <summary>The loaded library's version, e.g. "2.6.3".</summary>
    public string Version { get; }

    /// <summary>Primitives (reorders included) created so far; a cached shape creates none.</summary>
    internal long PrimitivesCreated => Interlocked.Read(ref _primitivesCreated);

    /// <summary>Bytes of shared workspace (blocked copies and scratchpad) currently held.</summary>
    internal long WorkspaceBytes
    {
        get { lock (Gate) return _workspace.Bytes; }
    }

    /// <summary>Runs <paramref name="plan"/> with the caller's buffers under the lock.</summary>
    private void Run(DnnlPlan plan, ReadOnlySpan<nint> user) => plan.Execute(_workspace, _stream, user);

    private DnnlPlanBuilder NewBuilder() => new(_engine, _attr, () => Interlocked.Increment(ref _primitivesCreated));

    /// <summary>Drops every cached plan (their primitives are destroyed).</summary>
    internal void ClearCaches()
    {
        lock (Gate)
        {
            _convPlans.Clear();
            _chainPlans.Clear();
            _matmulPlans.Clear();
            _reorderPlans.Clear();
        }
    }

    /// <summary>
    /// Releases primitives and workspace. The singleton normally lives for the process; after Dispose it
    /// refuses further calls.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            _convPlans.Dispose();
            _chainPlans.Dispose();
            _matmulPlans.Dispose();
            _reorderPlans.Dispose();
            _workspace.Dispose();
            DnnlNative.PrimitiveAttrDestroy(_attr);
            DnnlNative.PrimitiveAttrDestroy(_reluAttr);
            DnnlNative.StreamDestroy(_stream);
            DnnlNative.EngineDestroy(_engine);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Throws unless <paramref name="have"/> ≥ <paramref name="need"/> (native code must not read or write past a span).</summary>
    private static void CheckLength(string op, string what, int have, long need)
    {
        if (have < need)
            throw new ArgumentException($"{op}: {what} has {have} elements; the sizes given need {need}.");
    }
}
