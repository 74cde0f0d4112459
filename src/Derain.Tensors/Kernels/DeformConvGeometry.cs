namespace Derain.Tensors.Kernels;

/// <summary>
/// Sizes of one modulated deformable 2-D convolution (torchvision.ops.deform_conv2d, DCNv2): input
/// [N, InChannels, InH, InW], offset [N, 2·DeformGroups·KernelH·KernelW, OutH, OutW] holding a (dy, dx) pair per
/// deform group and kernel point, optional mask [N, DeformGroups·KernelH·KernelW, OutH, OutW], weight
/// [OutChannels, InChannels/Groups, KernelH, KernelW], output [N, OutChannels, OutH, OutW]. Input channel c
/// belongs to deform group c / (InChannels/DeformGroups) and to convolution group c / (InChannels/Groups).
/// </summary>
public sealed record DeformConvGeometry(
    int N, int InChannels, int OutChannels, int Groups, int DeformGroups,
    int InH, int InW, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW,
    int OutH, int OutW, bool HasMask)
{
    /// <summary>Kernel points per output pixel (KernelH·KernelW).</summary>
    public int KernelPoints => KernelH * KernelW;

    /// <summary>Pixels per input plane.</summary>
    public int InPlane => InH * InW;

    /// <summary>Pixels per output plane.</summary>
    public int OutPlane => OutH * OutW;

    /// <summary>Input channels per convolution group.</summary>
    public int InPerGroup => InChannels / Groups;

    /// <summary>Output channels per convolution group.</summary>
    public int OutPerGroup => OutChannels / Groups;

    /// <summary>Input channels per deform group (all share one offset and mask field).</summary>
    public int InPerDeformGroup => InChannels / DeformGroups;

    /// <summary>
    /// Validates the shapes the way torchvision.ops.deform_conv2d does (deform groups are inferred from the
    /// offset's channel count) and builds the geometry. <paramref name="mask"/> is null for DCNv1.
    /// </summary>
    public static DeformConvGeometry Create(string op, Shape x, Shape offset, Shape? mask, Shape w,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        if (x.Rank != 4 || w.Rank != 4 || offset.Rank != 4 || mask is { Rank: not 4 })
            throw Ops.ShapeError(op, $"input {x}, offset {offset}, weight {w}{(mask is null ? "" : $" and mask {mask}")} must all be 4-D.");
        if (stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || padding.H < 0 || padding.W < 0)
            throw Ops.ShapeError(op, $"stride {stride} and dilation {dilation} must be ≥ 1 and padding {padding} ≥ 0.");
        int n = x[0], cin = x[1], cout = w[0], kh = w[2], kw = w[3];
        if (groups < 1 || cin % groups != 0 || cout % groups != 0 || w[1] * groups != cin)
            throw Ops.ShapeError(op, $"weight {w} with {groups} groups expects {w[1] * groups} input channels and an output count divisible by the groups; input {x} has {cin}.");
        int oh = ConvGeometry.OutputSize(x[2], kh, stride.H, dilation.H, padding.H, padding.H);
        int ow = ConvGeometry.OutputSize(x[3], kw, stride.W, dilation.W, padding.W, padding.W);
        if (oh < 1 || ow < 1 || kh < 1 || kw < 1)
            throw Ops.ShapeError(op, $"input {x} is too small for weight {w} with padding {padding} and dilation {dilation} (output {oh}×{ow}).");
        int k = kh * kw;
        if (offset[1] == 0 || offset[1] % (2 * k) != 0)
            throw Ops.ShapeError(op, $"offset {offset} needs 2·deform_groups·{kh}·{kw} channels (a multiple of {2 * k}).");
        int dg = offset[1] / (2 * k);
        if (cin % dg != 0)
            throw Ops.ShapeError(op, $"offset {offset} implies {dg} deform groups, which must divide the {cin} input channels.");
        if (offset[0] != n || offset[2] != oh || offset[3] != ow)
            throw Ops.ShapeError(op, $"offset {offset} must be [{n}, {offset[1]}, {oh}, {ow}] for input {x} and weight {w}.");
        if (mask is { } m && (m[0] != n || m[1] != dg * k || m[2] != oh || m[3] != ow))
            throw Ops.ShapeError(op, $"mask {m} must be [{n}, {dg * k}, {oh}, {ow}] ({dg} deform groups × {k} kernel points).");
        return new DeformConvGeometry(n, cin, cout, groups, dg, x[2], x[3], kh, kw,
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, oh, ow, mask is not null);
    }
}
