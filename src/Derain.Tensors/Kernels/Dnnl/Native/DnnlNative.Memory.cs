using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

// Memory descriptors and memory objects.
internal static unsafe partial class DnnlNative
{
    [LibraryImport(Library, EntryPoint = "dnnl_memory_desc_init_by_tag")]
    private static partial DnnlStatus MemoryDescInitByTagNative(DnnlMemoryDesc* desc, int ndims, long* dims, DnnlDataType dataType, DnnlFormatTag tag);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_desc_init_by_strides")]
    private static partial DnnlStatus MemoryDescInitByStridesNative(DnnlMemoryDesc* desc, int ndims, long* dims, DnnlDataType dataType, long* strides);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_desc_equal")]
    private static partial int MemoryDescEqualNative(DnnlMemoryDesc* lhs, DnnlMemoryDesc* rhs);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_desc_get_size")]
    private static partial nuint MemoryDescGetSizeNative(DnnlMemoryDesc* desc);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_create")]
    private static partial DnnlStatus MemoryCreateNative(nint* memory, DnnlMemoryDesc* desc, nint engine, void* handle);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_set_data_handle_v2")]
    private static partial DnnlStatus MemorySetDataHandleNative(nint memory, void* handle, nint stream);

    [LibraryImport(Library, EntryPoint = "dnnl_memory_destroy")]
    private static partial DnnlStatus MemoryDestroyNative(nint memory);

    /// <summary>A descriptor with <paramref name="dims"/> in the given format tag (plain or "any").</summary>
    internal static DnnlMemoryDesc MemoryDescByTag(ReadOnlySpan<long> dims, DnnlDataType dataType, DnnlFormatTag tag)
    {
        var d = DnnlDims.From(dims);
        DnnlMemoryDesc desc;
        Check(MemoryDescInitByTagNative(&desc, dims.Length, (long*)&d, dataType, tag), "dnnl_memory_desc_init_by_tag");
        return desc;
    }

    /// <summary>A descriptor with explicit element strides.</summary>
    internal static DnnlMemoryDesc MemoryDescByStrides(ReadOnlySpan<long> dims, DnnlDataType dataType, ReadOnlySpan<long> strides)
    {
        if (strides.Length != dims.Length) throw new ArgumentException("dims and strides differ in length.");
        var d = DnnlDims.From(dims);
        var s = DnnlDims.From(strides);
        DnnlMemoryDesc desc;
        Check(MemoryDescInitByStridesNative(&desc, dims.Length, (long*)&d, dataType, (long*)&s), "dnnl_memory_desc_init_by_strides");
        return desc;
    }

    /// <summary>True when both descriptors describe the same layout.</summary>
    internal static bool MemoryDescEqual(in DnnlMemoryDesc a, in DnnlMemoryDesc b)
    {
        fixed (DnnlMemoryDesc* pa = &a)
        fixed (DnnlMemoryDesc* pb = &b)
            return MemoryDescEqualNative(pa, pb) != 0;
    }

    /// <summary>Bytes a buffer in this layout needs (0 for a zero descriptor).</summary>
    internal static long MemoryDescSize(in DnnlMemoryDesc desc)
    {
        fixed (DnnlMemoryDesc* p = &desc)
            return (long)MemoryDescGetSizeNative(p);
    }

    /// <summary>A memory object without a buffer; the buffer is attached per call with <see cref="MemorySetDataHandle"/>.</summary>
    internal static nint MemoryCreate(in DnnlMemoryDesc desc, nint engine)
    {
        nint memory;
        fixed (DnnlMemoryDesc* p = &desc)
            Check(MemoryCreateNative(&memory, p, engine, null), "dnnl_memory_create");
        return memory;
    }

    internal static void MemorySetDataHandle(nint memory, void* handle, nint stream)
        => Check(MemorySetDataHandleNative(memory, handle, stream), "dnnl_memory_set_data_handle_v2");

    internal static void MemoryDestroy(nint memory) => Check(MemoryDestroyNative(memory), "dnnl_memory_destroy");
}
