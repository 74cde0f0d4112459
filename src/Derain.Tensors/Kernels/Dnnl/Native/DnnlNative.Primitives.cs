using System.Runtime.InteropServices;

namespace Derain.Tensors.Kernels.Dnnl.Native;

// Op descriptors (2.x API), primitive attributes, primitive descriptors and primitives.
internal static unsafe partial class DnnlNative
{
    [LibraryImport(Library, EntryPoint = "dnnl_dilated_convolution_forward_desc_init")]
    private static partial DnnlStatus ConvForwardDescInitNative(DnnlConvolutionDesc* desc, DnnlPropKind propKind, DnnlAlgKind algKind,
        DnnlMemoryDesc* src, DnnlMemoryDesc* weights, DnnlMemoryDesc* bias, DnnlMemoryDesc* dst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(Library, EntryPoint = "dnnl_dilated_convolution_backward_data_desc_init")]
    private static partial DnnlStatus ConvBackwardDataDescInitNative(DnnlConvolutionDesc* desc, DnnlAlgKind algKind,
        DnnlMemoryDesc* diffSrc, DnnlMemoryDesc* weights, DnnlMemoryDesc* diffDst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(Library, EntryPoint = "dnnl_dilated_convolution_backward_weights_desc_init")]
    private static partial DnnlStatus ConvBackwardWeightsDescInitNative(DnnlConvolutionDesc* desc, DnnlAlgKind algKind,
        DnnlMemoryDesc* src, DnnlMemoryDesc* diffWeights, DnnlMemoryDesc* diffBias, DnnlMemoryDesc* diffDst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(Library, EntryPoint = "dnnl_matmul_desc_init")]
    private static partial DnnlStatus MatmulDescInitNative(DnnlMatmulDesc* desc,
        DnnlMemoryDesc* src, DnnlMemoryDesc* weights, DnnlMemoryDesc* bias, DnnlMemoryDesc* dst);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_attr_create")]
    private static partial DnnlStatus PrimitiveAttrCreateNative(nint* attr);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_attr_destroy")]
    private static partial DnnlStatus PrimitiveAttrDestroyNative(nint attr);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_attr_set_scratchpad_mode")]
    private static partial DnnlStatus PrimitiveAttrSetScratchpadModeNative(nint attr, DnnlScratchpadMode mode);

    [LibraryImport(Library, EntryPoint = "dnnl_post_ops_create")]
    private static partial DnnlStatus PostOpsCreateNative(nint* postOps);

    [LibraryImport(Library, EntryPoint = "dnnl_post_ops_destroy")]
    private static partial DnnlStatus PostOpsDestroyNative(nint postOps);

    [LibraryImport(Library, EntryPoint = "dnnl_post_ops_append_eltwise")]
    private static partial DnnlStatus PostOpsAppendEltwiseNative(nint postOps, float scale, int algKind, float alpha, float beta);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_attr_set_post_ops")]
    private static partial DnnlStatus PrimitiveAttrSetPostOpsNative(nint attr, nint postOps);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_desc_create")]
    private static partial DnnlStatus PrimitiveDescCreateNative(nint* primitiveDesc, void* opDesc, nint attr, nint engine, nint hintForward);

    [LibraryImport(Library, EntryPoint = "dnnl_reorder_primitive_desc_create")]
    private static partial DnnlStatus ReorderPrimitiveDescCreateNative(nint* primitiveDesc,
        DnnlMemoryDesc* src, nint srcEngine, DnnlMemoryDesc* dst, nint dstEngine, nint attr);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_desc_query")]
    private static partial DnnlStatus PrimitiveDescQueryNative(nint primitiveDesc, DnnlQuery what, int index, void* result);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_desc_query_md")]
    private static partial DnnlMemoryDesc* PrimitiveDescQueryMdNative(nint primitiveDesc, DnnlQuery what, int index);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_desc_destroy")]
    private static partial DnnlStatus PrimitiveDescDestroyNative(nint primitiveDesc);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_create")]
    private static partial DnnlStatus PrimitiveCreateNative(nint* primitive, nint primitiveDesc);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_execute")]
    private static partial DnnlStatus PrimitiveExecuteNative(nint primitive, nint stream, int nargs, DnnlExecArg* args);

    [LibraryImport(Library, EntryPoint = "dnnl_primitive_destroy")]
    private static partial DnnlStatus PrimitiveDestroyNative(nint primitive);

    /// <summary>Spatial parameters of a convolution in oneDNN's conventions (dilation 0 = dense).</summary>
    internal struct ConvParams
    {
        public DnnlDims Strides;
        public DnnlDims Dilates;
        public DnnlDims PaddingL;
        public DnnlDims PaddingR;
    }

    internal static DnnlConvolutionDesc ConvForwardDesc(DnnlPropKind propKind, DnnlAlgKind algKind,
        in DnnlMemoryDesc src, in DnnlMemoryDesc weights, in DnnlMemoryDesc bias, in DnnlMemoryDesc dst, in ConvParams p)
    {
        DnnlConvolutionDesc desc;
        fixed (DnnlMemoryDesc* ps = &src, pw = &weights, pb = &bias, pd = &dst)
        fixed (ConvParams* pp = &p)
            Check(ConvForwardDescInitNative(&desc, propKind, algKind, ps, pw, pb, pd,
                (long*)&pp->Strides, (long*)&pp->Dilates, (long*)&pp->PaddingL, (long*)&pp->PaddingR),
                "dnnl_dilated_convolution_forward_desc_init");
        return desc;
    }

    internal static DnnlConvolutionDesc ConvBackwardDataDesc(DnnlAlgKind algKind,
        in DnnlMemoryDesc diffSrc, in DnnlMemoryDesc weights, in DnnlMemoryDesc diffDst, in ConvParams p)
    {
        DnnlConvolutionDesc desc;
        fixed (DnnlMemoryDesc* ps = &diffSrc, pw = &weights, pd = &diffDst)
        fixed (ConvParams* pp = &p)
            Check(ConvBackwardDataDescInitNative(&desc, algKind, ps, pw, pd,
                (long*)&pp->Strides, (long*)&pp->Dilates, (long*)&pp->PaddingL, (long*)&pp->PaddingR),
                "dnnl_dilated_convolution_backward_data_desc_init");
        return desc;
    }

    internal static DnnlConvolutionDesc ConvBackwardWeightsDesc(DnnlAlgKind algKind,
        in DnnlMemoryDesc src, in DnnlMemoryDesc diffWeights, in DnnlMemoryDesc diffBias, in DnnlMemoryDesc diffDst, in ConvParams p)
    {
        DnnlConvolutionDesc desc;
        fixed (DnnlMemoryDesc* ps = &src, pw = &diffWeights, pb = &diffBias, pd = &diffDst)
        fixed (ConvParams* pp = &p)
            Check(ConvBackwardWeightsDescInitNative(&desc, algKind, ps, pw, pb, pd,
                (long*)&pp->Strides, (long*)&pp->Dilates, (long*)&pp->PaddingL, (long*)&pp->PaddingR),
                "dnnl_dilated_convolution_backward_weights_desc_init");
        return desc;
    }

    internal static DnnlMatmulDesc MatmulDesc(in DnnlMemoryDesc src, in DnnlMemoryDesc weights, in DnnlMemoryDesc bias, in DnnlMemoryDesc dst)
    {
        DnnlMatmulDesc desc;
        fixed (DnnlMemoryDesc* ps = &src, pw = &weights, pb = &bias, pd = &dst)
            Check(MatmulDescInitNative(&desc, ps, pw, pb, pd), "dnnl_matmul_desc_init");
        return desc;
    }

    /// <summary>An attribute set asking for user-managed scratchpad (see DnnlKernels for why).</summary>
    internal static nint PrimitiveAttrCreate(DnnlScratchpadMode mode)
    {
        nint attr;
        Check(PrimitiveAttrCreateNative(&attr), "dnnl_primitive_attr_create");
        try
        {
            Check(PrimitiveAttrSetScratchpadModeNative(attr, mode), "dnnl_primitive_attr_set_scratchpad_mode");
        }
        catch
        {
            PrimitiveAttrDestroyNative(attr);
            throw;
        }
        return attr;
    }

    /// <summary>dnnl_eltwise_relu (alpha 0: max(x, 0)).</summary>
    private const int EltwiseRelu = 0x1f;

    /// <summary>Attributes with the scratchpad <paramref name="mode"/> and one post-op, ReLU applied to the primitive's output.</summary>
    internal static nint PrimitiveAttrCreateWithRelu(DnnlScratchpadMode mode)
    {
        var attr = PrimitiveAttrCreate(mode);
        nint postOps = 0;
        try
        {
            Check(PostOpsCreateNative(&postOps), "dnnl_post_ops_create");
            Check(PostOpsAppendEltwiseNative(postOps, 1f, EltwiseRelu, 0f, 0f), "dnnl_post_ops_append_eltwise");
            Check(PrimitiveAttrSetPostOpsNative(attr, postOps), "dnnl_primitive_attr_set_post_ops");
        }
        catch
        {
            PrimitiveAttrDestroyNative(attr);
            throw;
        }
        finally
        {
            if (postOps != 0) PostOpsDestroyNative(postOps);
        }
        return attr;
    }

    internal static void PrimitiveAttrDestroy(nint attr) => Check(PrimitiveAttrDestroyNative(attr), "dnnl_primitive_attr_destroy");

    /// <summary>Creates a primitive descriptor for a convolution op descriptor (hint: the forward one, for backward passes).</summary>
    internal static nint PrimitiveDescCreate(in DnnlConvolutionDesc opDesc, nint attr, nint engine, nint hintForward)
    {
        nint pd;
        fixed (DnnlConvolutionDesc* p = &opDesc)
            Check(PrimitiveDescCreateNative(&pd, p, attr, engine, hintForward), "dnnl_primitive_desc_create", "convolution");
        return pd;
    }

    /// <summary>Creates a primitive descriptor for a matmul op descriptor.</summary>
    internal static nint PrimitiveDescCreate(in DnnlMatmulDesc opDesc, nint attr, nint engine)
    {
        nint pd;
        fixed (DnnlMatmulDesc* p = &opDesc)
            Check(PrimitiveDescCreateNative(&pd, p, attr, engine, 0), "dnnl_primitive_desc_create", "matmul");
        return pd;
    }

    internal static nint ReorderPrimitiveDescCreate(in DnnlMemoryDesc src, in DnnlMemoryDesc dst, nint engine, nint attr)
    {
        nint pd;
        fixed (DnnlMemoryDesc* ps = &src, pdst = &dst)
            Check(ReorderPrimitiveDescCreateNative(&pd, ps, engine, pdst, engine, attr), "dnnl_reorder_primitive_desc_create");
        return pd;
    }

    /// <summary>The memory descriptor a primitive descriptor chose for one argument (zero desc when absent).</summary>
    internal static DnnlMemoryDesc PrimitiveDescQueryMd(nint primitiveDesc, DnnlQuery what, int index = 0)
    {
        var p = PrimitiveDescQueryMdNative(primitiveDesc, what, index);
        if (p is null) throw new DnnlException("dnnl_primitive_desc_query_md", "null result", what.ToString());
        return *p;
    }

    /// <summary>The implementation name oneDNN picked (e.g. "jit:avx512_core"), for diagnostics.</summary>
    internal static string PrimitiveDescImplInfo(nint primitiveDesc)
    {
        byte* name;
        Check(PrimitiveDescQueryNative(primitiveDesc, DnnlQuery.ImplInfoStr, 0, &name), "dnnl_primitive_desc_query", "impl_info_str");
        return Marshal.PtrToStringUTF8((nint)name) ?? "";
    }

    internal static void PrimitiveDescDestroy(nint primitiveDesc) => Check(PrimitiveDescDestroyNative(primitiveDesc), "dnnl_primitive_desc_destroy");

    internal static nint PrimitiveCreate(nint primitiveDesc)
    {
        nint primitive;
        Check(PrimitiveCreateNative(&primitive, primitiveDesc), "dnnl_primitive_create");
        return primitive;
    }

    internal static void PrimitiveExecute(nint primitive, nint stream, ReadOnlySpan<DnnlExecArg> args)
    {
        fixed (DnnlExecArg* p = args)
            Check(PrimitiveExecuteNative(primitive, stream, args.Length, p), "dnnl_primitive_execute");
    }

    internal static void PrimitiveDestroy(nint primitive) => Check(PrimitiveDestroyNative(primitive), "dnnl_primitive_destroy");
}
