using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

// Engine and stream: Derain uses one CPU engine and one in-order stream for the process.
internal static unsafe partial class DnnlNative
{
    [LibraryImport(Library, EntryPoint = "dnnl_engine_create")]
    private static partial DnnlStatus EngineCreateNative(nint* engine, DnnlEngineKind kind, nuint index);

    [LibraryImport(Library, EntryPoint = "dnnl_engine_destroy")]
    private static partial DnnlStatus EngineDestroyNative(nint engine);

    [LibraryImport(Library, EntryPoint = "dnnl_stream_create")]
    private static partial DnnlStatus StreamCreateNative(nint* stream, nint engine, uint flags);

    [LibraryImport(Library, EntryPoint = "dnnl_stream_wait")]
    private static partial DnnlStatus StreamWaitNative(nint stream);

    [LibraryImport(Library, EntryPoint = "dnnl_stream_destroy")]
    private static partial DnnlStatus StreamDestroyNative(nint stream);

    [LibraryImport(Library, EntryPoint = "dnnl_set_verbose")]
    private static partial DnnlStatus SetVerboseNative(int level);

    internal static nint EngineCreate(DnnlEngineKind kind, int index)
    {
        nint engine;
        Check(EngineCreateNative(&engine, kind, (nuint)index), "dnnl_engine_create");
        return engine;
    }

    internal static void EngineDestroy(nint engine) => Check(EngineDestroyNative(engine), "dnnl_engine_destroy");

    internal static nint StreamCreate(nint engine, DnnlStreamFlags flags)
    {
        nint stream;
        Check(StreamCreateNative(&stream, engine, (uint)flags), "dnnl_stream_create");
        return stream;
    }

    internal static void StreamWait(nint stream) => Check(StreamWaitNative(stream), "dnnl_stream_wait");

    internal static void StreamDestroy(nint stream) => Check(StreamDestroyNative(stream), "dnnl_stream_destroy");

    /// <summary>0 quiet, 1 execution info, 2 also creation info (printed by oneDNN to stdout).</summary>
    internal static void SetVerbose(int level) => Check(SetVerboseNative(level), "dnnl_set_verbose");
}
