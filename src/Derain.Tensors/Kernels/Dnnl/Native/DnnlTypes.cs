using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

// Types and constants of the oneDNN 2.6 C API (dnnl_types.h) that Derain uses, with the exact numeric values
// and struct layouts of 2.6. The 3.x API differs (no op descriptors, opaque memory descriptors), which is why
// the loader insists on major version 2 and why DnnlHeaderTests compares every value and offset here with
// what gcc reports for the installed headers. Only the members Derain uses are declared.

/// <summary>dnnl_status_t.</summary>
internal enum DnnlStatus
{
    Success = 0,
    OutOfMemory = 1,
    InvalidArguments = 2,
    Unimplemented = 3,
    IteratorEnds = 4,
    RuntimeError = 5,
    NotRequired = 6,
}

/// <summary>dnnl_data_type_t.</summary>
internal enum DnnlDataType
{
    Undef = 0,
    F32 = 3,
}

/// <summary>dnnl_format_kind_t.</summary>
internal enum DnnlFormatKind
{
    Undef = 0,
    Any = 1,
    Blocked = 2,
}

/// <summary>dnnl_format_tag_t: "any" (let the primitive choose) and the plain row-major tags by rank.</summary>
internal enum DnnlFormatTag
{
    Undef = 0,
    Any = 1,
    A = 2,
    Ab = 3,
    Abc = 4,
    Abcd = 5,
    Abcde = 7,
    Abcdef = 8,

    /// <summary>dnnl_acdb (nhwc): 4-D with the second dimension (channels) innermost.</summary>
    Acdb = 20,

    /// <summary>dnnl_aBcd16b: 4-D, the second dimension (channels) in blocks of 16, innermost.</summary>
    ABcd16b = 69,
}

/// <summary>dnnl_prop_kind_t.</summary>
internal enum DnnlPropKind
{
    Undef = 0,
    ForwardTraining = 64,
    ForwardInference = 96,
    BackwardData = 160,
    BackwardWeights = 192,
}

/// <summary>dnnl_alg_kind_t (convolution algorithms).</summary>
internal enum DnnlAlgKind
{
    Undef = 0,
    ConvolutionDirect = 1,
    ConvolutionWinograd = 2,
    ConvolutionAuto = 3,
}

/// <summary>dnnl_primitive_kind_t (the kinds Derain creates).</summary>
internal enum DnnlPrimitiveKind
{
    Undefined = 0,
    Reorder = 1,
    Convolution = 5,
    Matmul = 18,
}

/// <summary>dnnl_query_t (the queries Derain issues).</summary>
internal enum DnnlQuery
{
    Undef = 0,
    ImplInfoStr = 8,
    SrcMd = 129,
    DiffSrcMd = 130,
    WeightsMd = 131,
    DiffWeightsMd = 132,
    DstMd = 133,
    DiffDstMd = 134,
    ScratchpadMd = 136,
}

/// <summary>dnnl_engine_kind_t.</summary>
internal enum DnnlEngineKind
{
    Any = 0,
    Cpu = 1,
}

/// <summary>dnnl_stream_flags_t.</summary>
internal enum DnnlStreamFlags : uint
{
    InOrder = 1,
}

/// <summary>dnnl_scratchpad_mode_t.</summary>
internal enum DnnlScratchpadMode
{
    Library = 0,
    User = 1,
}

/// <summary>DNNL_ARG_* execution-argument indices and other #define constants.</summary>
internal static class DnnlConst
{
    public const int ArgSrc = 1;
    public const int ArgDst = 17;
    public const int ArgWeights = 33;
    public const int ArgBias = 41;
    public const int ArgScratchpad = 80;
    public const int ArgDiffSrc = 129;
    public const int ArgDiffDst = 145;
    public const int ArgDiffWeights = 161;
    public const int ArgDiffBias = 169;
    public const int ArgFrom = ArgSrc;
    public const int ArgTo = ArgDst;
    public const int MaxNdims = 12;
    public const uint RuntimeOmp = 2;
}

/// <summary>dnnl_dims_t: int64_t[DNNL_MAX_NDIMS].</summary>
[InlineArray(DnnlConst.MaxNdims)]
internal struct DnnlDims
{
    private long _element0;

    /// <summary>Dims from an int span (the rest zero).</summary>
    public static DnnlDims From(ReadOnlySpan<long> values)
    {
        if (values.Length > DnnlConst.MaxNdims) throw new ArgumentException($"oneDNN takes at most {DnnlConst.MaxNdims} dims; got {values.Length}.");
        var d = default(DnnlDims);
        values.CopyTo(d);
        return d;
    }
}

/// <summary>dnnl_blocking_desc_t.</summary>
[StructLayout(LayoutKind.Explicit, Size = 296)]
internal struct DnnlBlockingDesc
{
    [FieldOffset(0)] public DnnlDims Strides;
    [FieldOffset(96)] public int InnerNblks;
    [FieldOffset(104)] public DnnlDims InnerBlks;
    [FieldOffset(200)] public DnnlDims InnerIdxs;
}

/// <summary>dnnl_memory_extra_desc_t (its trailing reserved bytes are covered by Size).</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal struct DnnlMemoryExtraDesc
{
    [FieldOffset(0)] public ulong Flags;
    [FieldOffset(8)] public int CompensationMask;
    [FieldOffset(12)] public float ScaleAdjust;
    [FieldOffset(16)] public int AsymmCompensationMask;
}

/// <summary>
/// dnnl_memory_desc_t: a plain 696-byte value in 2.x. The format_desc union is declared through its
/// blocking member, the largest one together with rnn_packed_desc (both 296 bytes).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 696)]
internal struct DnnlMemoryDesc
{
    [FieldOffset(0)] public int Ndims;
    [FieldOffset(8)] public DnnlDims Dims;
    [FieldOffset(104)] public DnnlDataType DataType;
    [FieldOffset(112)] public DnnlDims PaddedDims;
    [FieldOffset(208)] public DnnlDims PaddedOffsets;
    [FieldOffset(304)] public long Offset0;
    [FieldOffset(312)] public DnnlFormatKind FormatKind;
    [FieldOffset(320)] public DnnlBlockingDesc Blocking;
    [FieldOffset(616)] public DnnlMemoryExtraDesc Extra;
}

/// <summary>dnnl_convolution_desc_t (filled by the *_desc_init calls, passed to primitive-descriptor creation).</summary>
[StructLayout(LayoutKind.Explicit, Size = 5976)]
internal struct DnnlConvolutionDesc
{
    [FieldOffset(0)] public DnnlPrimitiveKind PrimitiveKind;
    [FieldOffset(4)] public DnnlPropKind PropKind;
    [FieldOffset(8)] public DnnlAlgKind AlgKind;
    [FieldOffset(16)] public DnnlMemoryDesc SrcDesc;
    [FieldOffset(712)] public DnnlMemoryDesc DiffSrcDesc;
    [FieldOffset(1408)] public DnnlMemoryDesc WeightsDesc;
    [FieldOffset(2104)] public DnnlMemoryDesc DiffWeightsDesc;
    [FieldOffset(2800)] public DnnlMemoryDesc BiasDesc;
    [FieldOffset(3496)] public DnnlMemoryDesc DiffBiasDesc;
    [FieldOffset(4192)] public DnnlMemoryDesc DstDesc;
    [FieldOffset(4888)] public DnnlMemoryDesc DiffDstDesc;
    [FieldOffset(5584)] public DnnlDims Strides;
    [FieldOffset(5680)] public DnnlDims Dilates;
    [FieldOffset(5776)] public DnnlDims PaddingL;
    [FieldOffset(5872)] public DnnlDims PaddingR;
    [FieldOffset(5968)] public DnnlDataType AccumDataType;
}

/// <summary>dnnl_matmul_desc_t.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2800)]
internal struct DnnlMatmulDesc
{
    [FieldOffset(0)] public DnnlPrimitiveKind PrimitiveKind;
    [FieldOffset(8)] public DnnlMemoryDesc SrcDesc;
    [FieldOffset(704)] public DnnlMemoryDesc WeightsDesc;
    [FieldOffset(1400)] public DnnlMemoryDesc BiasDesc;
    [FieldOffset(2096)] public DnnlMemoryDesc DstDesc;
    [FieldOffset(2792)] public DnnlDataType AccumDataType;
}

/// <summary>dnnl_exec_arg_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DnnlExecArg
{
    public int Arg;
    public nint Memory;
}

/// <summary>dnnl_version_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DnnlVersion
{
    public int Major;
    public int Minor;
    public int Patch;
    public nint Hash;
    public uint CpuRuntime;
    public uint GpuRuntime;
}
