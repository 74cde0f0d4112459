using Derain.Models.Common;
using Derain.NN.Init;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>
/// mmedit's ResidualBlockNoBN (used by ViMP-Net's <c>derain_net.py</c> through <c>make_layer</c>):
/// x + conv2(ReLU(conv1(x))), both 3×3 with bias, res_scale 1. Initialised as mmedit does for res_scale 1:
/// Kaiming-normal (fan_in, ReLU gain) scaled by 0.1, bias 0. State-dict names conv1, conv2.
/// </summary>
public sealed class ResidualBlockNoBN : Layer
{
    private readonly ConvNd _conv1, _conv2;

    public ResidualBlockNoBN(int channels, Generator g)
    {
        _conv1 = RegisterModule("conv1", ConvNd.Conv2d(channels, channels, 3, g, padding: 1));
        _conv2 = RegisterModule("conv2", ConvNd.Conv2d(channels, channels, 3, g, padding: 1));
        VimpnetInit.ScaledKaiming(_conv1, g, 0.1);
        VimpnetInit.ScaledKaiming(_conv2, g, 0.1);
    }

    public override Tensor Forward(Tensor x) => Residual(_conv1, _conv2, x);

    /// <summary>x + conv2(ReLU(conv1(x))), freeing each intermediate as soon as it is used (2-D and 3-D blocks alike).</summary>
    internal static Tensor Residual(ConvNd conv1, ConvNd conv2, Tensor x)
    {
        var a = conv1.Forward(x);
        var r = Ops.Relu(a);
        Intermediates.Drop(a);
        var b = conv2.Forward(r);
        Intermediates.Drop(r);
        var y = x + b;
        Intermediates.Drop(b);
        return y;
    }
}

/// <summary>
/// ResidualBlocksWithInputConv of the official <c>derain_net.py</c>: <c>main</c> = Sequential(conv3×3 in→out,
/// LeakyReLU(0.1), Sequential(blocks × <see cref="ResidualBlockNoBN"/>)), so the names are
/// main.0.weight and main.2.k.conv1.weight.
/// </summary>
public sealed class ResidualBlocksWithInputConv : Layer
{
    private readonly Sequential _main;

    public ResidualBlocksWithInputConv(int inChannels, int outChannels, int blocks, Generator g)
    {
        var body = new Sequential();
        for (int i = 0; i < blocks; i++) body.Add(new ResidualBlockNoBN(outChannels, g));
        _main = RegisterModule("main", new Sequential(ConvNd.Conv2d(inChannels, outChannels, 3, g, padding: 1), new LeakyRelu(0.1), body));
    }

    public override Tensor Forward(Tensor x) => Intermediates.Release(() => _main.Forward(x));
}

/// <summary>
/// ResidualBlock3DNoBN of the official <c>ViMPNet.py</c>: x + conv2(ReLU(conv1(x))) with Conv3d 3×3×3, padding 1.
/// Its init_weights (mmedit's default_init_weights) only touches Conv2d/Linear, so these Conv3d keep PyTorch's
/// default initialisation.
/// </summary>
public sealed class ResidualBlock3DNoBN : Layer
{
    private readonly ConvNd _conv1, _conv2;

    public ResidualBlock3DNoBN(int channels, Generator g)
    {
        _conv1 = RegisterModule("conv1", ConvNd.Conv3d(channels, channels, [3, 3, 3], g, padding: [1, 1, 1]));
        _conv2 = RegisterModule("conv2", ConvNd.Conv3d(channels, channels, [3, 3, 3], g, padding: [1, 1, 1]));
    }

    public override Tensor Forward(Tensor x) => ResidualBlockNoBN.Residual(_conv1, _conv2, x);
}

/// <summary>
/// ResNet3D of the official <c>ViMPNet.py</c> (the stage-1 reconstruction): on [N, 192, T, H/4, W/4], Conv3d 1³
/// 192→64, five <see cref="ResidualBlock3DNoBN"/>, Conv3d (1,3,3) 64→128, PixelShuffle ×2 per frame, Conv3d
/// (1,3,3) 32→64, PixelShuffle ×2 → [N, 16, T, H, W]. No activation between them. (Widths for mid_channels 64; a
/// reduced network keeps the ratios: 3m→m, m→2m, m/2→m, → m/4.)
/// </summary>
public sealed class ResNet3D : Layer
{
    private readonly ConvNd _input, _before1, _before2;
    private readonly Sequential _blocks;

    public ResNet3D(int midChannels, int blocks, Generator g)
    {
        _input = RegisterModule("input_conv", ConvNd.Conv3d(3 * midChannels, midChannels, [1, 1, 1], g));
        _blocks = RegisterModule("res_blocks", new Sequential());
        for (int i = 0; i < blocks; i++) _blocks.Add(new ResidualBlock3DNoBN(midChannels, g));
        _before1 = RegisterModule("conv_before_upsample1", ConvNd.Conv3d(midChannels, 2 * midChannels, [1, 3, 3], g, padding: [0, 1, 1]));
        _before2 = RegisterModule("conv_before_upsample2", ConvNd.Conv3d(midChannels / 2, midChannels, [1, 3, 3], g, padding: [0, 1, 1]));
    }

    /// <summary>[N, 3·mid, T, h, w] → [N, mid/4, T, 4h, 4w].</summary>
    public override Tensor Forward(Tensor x) => Intermediates.Release(() =>
    {
        var y = _blocks.Forward(_input.Forward(x));
        return VimpnetOps.UpsampleTwice(y, _before1, _before2);
    });
}

/// <summary>
/// A module that only names children (torch.nn.ModuleList, ModuleDict, or a parent whose children the owner calls
/// directly), so that the state-dict names follow the official nesting.
/// </summary>
public sealed class Container : Module
{
    private int _count;

    /// <summary>Appends a child under the next index name (ModuleList).</summary>
    public T Add<T>(T module) where T : Module => RegisterModule((_count++).ToString(System.Globalization.CultureInfo.InvariantCulture), module);

    /// <summary>Adds a child under <paramref name="name"/> (ModuleDict, named submodules).</summary>
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}

/// <summary>Operations ViMP-Net's modules share.</summary>
internal static class VimpnetOps
{
    /// <summary>
    /// The (conv (1,3,3), PixelShuffle(2)) × 2 tail both ResNet3D and the transformer's <c>up</c> use: each
    /// PixelShuffle is applied per frame, on the tensor rearranged 'n c d h w → n d c h w' and back.
    /// </summary>
    public static Tensor UpsampleTwice(Tensor x, ConvNd before1, ConvNd before2)
    {
        var a = before1.Forward(x);
        var b = ShufflePerFrame(a);
        Intermediates.Drop(a);
        var c = before2.Forward(b);
        Intermediates.Drop(b);
        var d = ShufflePerFrame(c);
        Intermediates.Drop(c);
        return d;
    }

    /// <summary>[N, C·4, T, H, W] → [N, C, T, 2H, 2W]: PixelShuffle(2) on each frame.</summary>
    public static Tensor ShufflePerFrame(Tensor x)
    {
        var perFrame = Ops.Permute(x, 0, 2, 1, 3, 4);
        var shuffled = Ops.PixelShuffle(perFrame, 2);
        Intermediates.Drop(perFrame);
        var y = Ops.Permute(shuffled, 0, 2, 1, 3, 4);
        Intermediates.Drop(shuffled);
        return y;
    }

    /// <summary>
    /// mmedit's <c>flow_warp(x, flow)</c>: samples x at (col + flow_x, row + flow_y) with grid_sample (bilinear,
    /// align_corners=True), the grid normalised as 2·g / max(size − 1, 1) − 1. <paramref name="flow"/> is
    /// [N, 2, H, W] (channel 0 horizontal); the official callers pass flow.permute(0, 2, 3, 1).
    /// </summary>
    public static Tensor FlowWarp(Tensor x, Tensor flow, GridSamplePadding padding)
    {
        int h = flow.Size(2), w = flow.Size(3);
        if (x.Size(2) != h || x.Size(3) != w)
            throw new ArgumentException($"flow_warp: the features {x.Shape} and the flow {flow.Shape} differ in size.");
        var nhwc = Ops.Permute(flow, 0, 2, 3, 1);
        using var grid0 = BaseGrid(h, w, x.DType);
        using var scale = ScaleVector(h, w, x.DType);
        var grid = Ops.Add(Ops.Mul(Ops.Add(nhwc, grid0), scale), -1.0);
        Intermediates.Drop(nhwc);
        var y = Ops.GridSample(x, grid, GridSampleMode.Bilinear, padding, alignCorners: true);
        Intermediates.Drop(grid);
        return y;
    }

    /// <summary>[1, H, W, 2] holding (col, row) per pixel.</summary>
    private static Tensor BaseGrid(int h, int w, DType dtype)
    {
        var data = new double[h * w * 2];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                data[2 * (y * w + x)] = x;
                data[2 * (y * w + x) + 1] = y;
            }
        var t = Tensor.FromArray(data, 1, h, w, 2);
        if (dtype == DType.Float64) return t;
        using (t) return t.To(dtype);
    }

    private static Tensor ScaleVector(int h, int w, DType dtype)
    {
        var t = Tensor.FromArray([2.0 / Math.Max(w - 1, 1), 2.0 / Math.Max(h - 1, 1)], 2);
        if (dtype == DType.Float64) return t;
        using (t) return t.To(dtype);
    }
}

/// <summary>The official initialisations that differ from PyTorch's defaults.</summary>
internal static class VimpnetInit
{
    /// <summary>mmcv kaiming_init(a=0, fan_in, ReLU gain, normal) then weight ×= scale; bias 0 (mmedit default_init_weights).</summary>
    public static void ScaledKaiming(ConvNd conv, Generator g, double scale)
    {
        var w = conv.Weight.Data;
        Initializers.KaimingNormal(w, g, 0, fanIn: true, nonlinearity: "relu");
        Scale(w, scale);
        if (conv.Bias is { } b) Initializers.Constant(b.Data, 0);
    }

    /// <summary>BaseNetwork.init_weights('normal', 0.02) of Dualmaskformer.py: N(0, 0.02) for every Conv*/Linear weight, bias 0.</summary>
    public static void TransformerNormal(Module root, Generator g)
    {
        foreach (var (_, m) in root.NamedModules())
        {
            switch (m)
            {
                case ConvNd c:
                    Initializers.Normal(c.Weight.Data, 0, 0.02, g);
                    if (c.Bias is { } cb) Initializers.Constant(cb.Data, 0);
                    break;
                case Linear l:
                    Initializers.Normal(l.Weight.Data, 0, 0.02, g);
                    if (l.Bias is { } lb) Initializers.Constant(lb.Data, 0);
                    break;
            }
        }
    }

    private static void Scale(Tensor t, double scale)
    {
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(s[i] * scale);
        t.MarkModified();
    }
}
