using Derain.Models.Common;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>
/// ViMP-Net's stage 2, <c>Dual_Raindrop_gnostic_Transformer</c> of the official <c>modules/Dualmaskformer.py</c>
/// (derived from FuseFormer, Liu et al., ICCV 2021). On stage1 [N, T, 3, H, W] and the raindrop mask [N, T, 1, H, W]:
/// <list type="number">
/// <item>three Conv3d encoders to [N, 256, T, H/4, W/4]: <c>downdropbg</c> on cat(stage1, mask), <c>downdrop1</c> on stage1,
/// <c>downdrop2</c> on stage1·(1 − mask);</item>
/// <item>SoftSplit (shared): 7×7 patches at stride 3 (padding 3), Linear 12544→512, tokens of all frames in one sequence;</item>
/// <item>stream A = the tokens of the stage1+mask encoder; stream B = TokenLearner (Conv1d k1 1024→512) on the other two
/// token sets concatenated along the channels;</item>
/// <item>block <c>transformer</c> twice, then <c>transformer1</c> twice (each call reuses the same weights), then the
/// fusion block;</item>
/// <item>SoftComp: Linear 512→12544, fold with overlaps summed, conv3×3 256→256; then the decoder
/// (Conv3d (1,3,3) 256→128, PixelShuffle, 32→64, PixelShuffle, 16→3) → [N, T, 3, H, W], the residual added to stage1.</item>
/// </list>
/// Initialised as BaseNetwork.init_weights('normal', 0.02): every Conv/Linear weight N(0, 0.02), bias 0.
/// </summary>
public sealed class DualMaskTransformer : Module
{
    /// <summary>Token width of the official network.</summary>
    public const int Hidden = 512;

    /// <summary>Attention heads.</summary>
    public const int Heads = 4;

    /// <summary>Encoder output channels of the official network.</summary>
    public const int Channels = 256;

    private readonly int _channels, _hidden;

    private static readonly int[] PatchKernel = [7, 7], PatchStride = [3, 3], PatchPadding = [3, 3];

    private readonly DualTransformerBlock _block, _block1;
    private readonly FusionTransformerBlock _fusion;
    private readonly Linear _splitEmbedding, _compEmbedding;
    private readonly ConvNd _compBiasConv;
    private readonly ConvNd _tokenLearner;
    private readonly DropEncoder _encBackground, _encStage1, _encMasked;
    private readonly ConvNd _before1, _before2, _last;

    /// <param name="g">Initialisation source.</param>
    /// <param name="channels">Encoder output channels (256 officially; a multiple of 16).</param>
    /// <param name="hidden">Token width (512 officially; a multiple of <see cref="Heads"/>).</param>
    public DualMaskTransformer(Generator g, int channels = Channels, int hidden = Hidden)
    {
        _channels = channels;
        _hidden = hidden;
        _block = RegisterModule("transformer", new DualTransformerBlock(_hidden, Heads, g));
        _block1 = RegisterModule("transformer1", new DualTransformerBlock(_hidden, Heads, g));
        _fusion = RegisterModule("Fusion_Transformer", new FusionTransformerBlock(_hidden, Heads, g));
        int patch = PatchKernel[0] * PatchKernel[1] * _channels;
        var ss = RegisterModule("ss", new Container());
        _splitEmbedding = ss.Add("embedding", new Linear(patch, _hidden, g));
        var sc = RegisterModule("sc", new Container());
        _compEmbedding = sc.Add("embedding", new Linear(_hidden, patch, g));
        _compBiasConv = sc.Add("bias_conv", ConvNd.Conv2d(_channels, _channels, 3, g, padding: 1));
        var learner = RegisterModule("TokenLearner", new Container());
        _tokenLearner = learner.Add("conv_layer", ConvNd.Conv1d(2 * _hidden, _hidden, 1, g));
        _encBackground = RegisterModule("downdropbg", new DropEncoder(4, 0.2, _channels, g));
        _encStage1 = RegisterModule("downdrop1", new DropEncoder(3, 0.01, _channels, g));
        _encMasked = RegisterModule("downdrop2", new DropEncoder(3, 0.01, _channels, g));
        _before1 = RegisterModule("conv_before_upsample1", ConvNd.Conv3d(_channels, _channels / 2, [1, 3, 3], g, padding: [0, 1, 1]));
        _before2 = RegisterModule("conv_before_upsample2", ConvNd.Conv3d(_channels / 8, _channels / 4, [1, 3, 3], g, padding: [0, 1, 1]));
        _last = RegisterModule("conv_last", ConvNd.Conv3d(_channels / 16, 3, [1, 3, 3], g, padding: [0, 1, 1]));
        VimpnetInit.TransformerNormal(this, g);
    }

    /// <summary>The residual [N, T, 3, H, W] for <paramref name="stage1"/> [N, T, 3, H, W] and <paramref name="mask"/> [N, T, 1, H, W].</summary>
    public Tensor Forward(Tensor stage1, Tensor mask) => Intermediates.Release(() =>
    {
        int b = stage1.Size(0), t = stage1.Size(1);
        var stage1Ct = Ops.Permute(stage1, 0, 2, 1, 3, 4);
        var encStage1 = _encStage1.Forward(stage1Ct);
        var withMask = Ops.Permute(Ops.Concat([stage1, mask], 2), 0, 2, 1, 3, 4);
        var encBackground = _encBackground.Forward(withMask);
        Intermediates.Drop(withMask);
        var masked = Ops.Permute(Ops.Mul(stage1, Ops.Add(Ops.Neg(mask), 1.0)), 0, 2, 1, 3, 4);
        var encMasked = _encMasked.Forward(masked);
        Intermediates.Drop(masked);
        Intermediates.Drop(stage1Ct);
        int h1 = encBackground.Size(3), w1 = encBackground.Size(4);

        var streamA = SoftSplit(encBackground, b, t);
        var tokensStage1 = SoftSplit(encStage1, b, t);
        var tokensMasked = SoftSplit(encMasked, b, t);
        // TokenLearner: a k=1 Conv1d over the token axis is a Linear on each token's 1024 channels.
        var cat = Ops.Concat([tokensStage1, tokensMasked], 2);
        Intermediates.Drop(tokensStage1);
        Intermediates.Drop(tokensMasked);
        var streamB = Ops.Linear(cat, Ops.Reshape(_tokenLearner.Weight.Data, _hidden, 2 * _hidden), _tokenLearner.Bias!.Data);
        Intermediates.Drop(cat);

        (streamA, streamB) = _block.Forward(streamA, streamB);
        (streamA, streamB) = _block.Forward(streamA, streamB);
        (streamA, streamB) = _block1.Forward(streamA, streamB);
        (streamA, streamB) = _block1.Forward(streamA, streamB);
        var fused = _fusion.Forward(streamA, streamB);
        Intermediates.Drop(streamA);
        Intermediates.Drop(streamB);

        var folded = SoftComp(fused, b, t, h1, w1);
        Intermediates.Drop(fused);
        var video = Ops.Permute(Ops.Reshape(folded, b, t, _channels, h1, w1), 0, 2, 1, 3, 4);
        Intermediates.Drop(folded);
        var up = VimpnetOps.UpsampleTwice(video, _before1, _before2);
        Intermediates.Drop(video);
        var residual = _last.Forward(up);
        Intermediates.Drop(up);
        return Ops.Permute(residual, 0, 2, 1, 3, 4);
    });

    /// <summary>
    /// SoftSplit: [N, 256, T, h, w] → unfold per frame → Linear → [N, T·L, 512] (frame-major tokens). The embedding is
    /// applied as W·columns on each frame's unfolded [1, 12544, L] and the small [1, 512, L] result transposed, which is
    /// the official unfold → permute → Linear without moving the 12544-row columns. Frame by frame, so that inference
    /// holds one frame's columns (24 MB at 256²) rather than the clip's.
    /// </summary>
    private Tensor SoftSplit(Tensor encoded, int b, int t)
    {
        var frames = Ops.Permute(encoded, 0, 2, 1, 3, 4);
        Intermediates.Drop(encoded);
        var perFrame = Ops.Reshape(frames, b * t, _channels, frames.Size(3), frames.Size(4));
        var tokens = new List<Tensor>(b * t);
        for (int i = 0; i < b * t; i++)
        {
            var frame = Ops.Narrow(perFrame, 0, i, 1);
            var columns = Ops.Unfold(frame, PatchKernel, null, PatchPadding, PatchStride);
            Intermediates.Drop(frame);
            var embedded = Ops.MatMul(_splitEmbedding.Weight.Data, columns);
            Intermediates.Drop(columns);
            tokens.Add(Ops.Transpose(embedded, 1, 2));
            Intermediates.Drop(embedded);
        }
        Intermediates.Drop(frames);
        var all = Ops.Concat(tokens, 0);
        foreach (var x in tokens) Intermediates.Drop(x);
        var biased = Ops.Add(all, _splitEmbedding.Bias!.Data);
        Intermediates.Drop(all);
        return Ops.Reshape(biased, b, -1, _hidden);
    }

    /// <summary>
    /// SoftComp: Linear → fold to [N·T, 256, h, w] (overlapping patches summed) → bias_conv. The Linear is computed as
    /// W·tokensᵀ + bias directly in the [1, 12544, L] column layout fold takes (the official Linear then permute),
    /// frame by frame like <see cref="SoftSplit"/>.
    /// </summary>
    private Tensor SoftComp(Tensor tokens, int b, int t, int h, int w)
    {
        var perFrame = Ops.Transpose(Ops.Reshape(tokens, b * t, -1, _hidden), 1, 2);
        var bias = _compEmbedding.Bias!.Data;
        var biasColumn = Ops.Reshape(bias, bias.Size(0), 1);
        var frames = new List<Tensor>(b * t);
        for (int i = 0; i < b * t; i++)
        {
            var frame = Ops.Narrow(perFrame, 0, i, 1);
            var product = Ops.MatMul(_compEmbedding.Weight.Data, frame);
            Intermediates.Drop(frame);
            var columns = Ops.Add(product, biasColumn);
            Intermediates.Drop(product);
            frames.Add(Ops.Fold(columns, [h, w], PatchKernel, null, PatchPadding, PatchStride));
            Intermediates.Drop(columns);
        }
        Intermediates.Drop(perFrame);
        var folded = Ops.Concat(frames, 0);
        foreach (var x in frames) Intermediates.Drop(x);
        var y = _compBiasConv.Forward(folded);
        Intermediates.Drop(folded);
        return y;
    }
}

/// <summary>
/// downdrop / downdropbg of Dualmaskformer.py: Conv3d (1,3,3) c→64, 3³ stride (1,2,2) 64→128, 3³ stride (1,2,2)
/// 128→256 (c/4, c/2, c for a reduced width c), each followed by a leaky ReLU of slope 0.2 — except the last one of <c>downdrop</c>, which calls
/// F.leaky_relu with its default slope 0.01 (the last slope given).
/// </summary>
public sealed class DropEncoder : Module
{
    private readonly ConvNd _first, _conv1, _conv2;
    private readonly double _lastSlope;

    public DropEncoder(int inChannels, double lastSlope, int channels, Generator g)
    {
        _first = RegisterModule("conv_first", ConvNd.Conv3d(inChannels, channels / 4, [1, 3, 3], g, padding: [0, 1, 1]));
        _conv1 = RegisterModule("conv1", ConvNd.Conv3d(channels / 4, channels / 2, [3, 3, 3], g, stride: [1, 2, 2], padding: [1, 1, 1]));
        _conv2 = RegisterModule("conv2", ConvNd.Conv3d(channels / 2, channels, [3, 3, 3], g, stride: [1, 2, 2], padding: [1, 1, 1]));
        _lastSlope = lastSlope;
    }

    /// <summary>[N, C, T, H, W] → [N, 256, T, H/4, W/4].</summary>
    public Tensor Forward(Tensor x) => Intermediates.Release(() =>
    {
        var a = Activated(_first, x, 0.2);
        var b = Activated(_conv1, a, 0.2);
        Intermediates.Drop(a);
        var y = Activated(_conv2, b, _lastSlope);
        Intermediates.Drop(b);
        return y;
    });

    /// <summary>leaky_relu(conv(x)), the convolution's output freed at once without a graph (84 MB at 256² for the first).</summary>
    private static Tensor Activated(ConvNd conv, Tensor x, double slope)
    {
        var z = conv.Forward(x);
        var y = Ops.LeakyRelu(z, slope);
        Intermediates.Drop(z);
        return y;
    }
}

/// <summary>FeedForward of Dualmaskformer.py: <c>conv</c> = Sequential(Linear d→4d, ReLU, Dropout, Linear 4d→d, Dropout), dropout 0.</summary>
public sealed class FeedForward : Layer
{
    private readonly Sequential _conv;

    public FeedForward(int width, Generator g)
        => _conv = RegisterModule("conv", new Sequential(new Linear(width, 4 * width, g), new Relu(), new Dropout(0, g), new Linear(4 * width, width, g), new Dropout(0, g)));

    public override Tensor Forward(Tensor x) => Intermediates.Release(() => _conv.Forward(x));
}

/// <summary>
/// TransformerBlock of Dualmaskformer.py, the dual block: one multi-head self-attention and the two LayerNorms shared
/// by both streams, one feed-forward per stream (ffn1, ffn2); pre-norm residuals:
/// xᵢ = inᵢ + MHSA(LN1(inᵢ)); xᵢ = xᵢ + FFNᵢ(LN2(xᵢ)). Attention is global over all frames' tokens.
/// </summary>
public sealed class DualTransformerBlock : Module
{
    private readonly MultiHeadedAttention _attention;
    private readonly FeedForward _ffn1, _ffn2;
    private readonly LayerNorm _norm1, _norm2;

    public DualTransformerBlock(int hidden, int heads, Generator g)
    {
        _attention = RegisterModule("attention", new MultiHeadedAttention(hidden, heads, g));
        _ffn1 = RegisterModule("ffn1", new FeedForward(hidden, g));
        _ffn2 = RegisterModule("ffn2", new FeedForward(hidden, g));
        _norm1 = RegisterModule("norm1", new LayerNorm(hidden));
        _norm2 = RegisterModule("norm2", new LayerNorm(hidden));
    }

    public (Tensor A, Tensor B) Forward(Tensor a, Tensor b)
        => (Stream(a, _ffn1), Stream(b, _ffn2));

    private Tensor Stream(Tensor input, FeedForward ffn) => Intermediates.Release(() =>
    {
        var x = input + _attention.Forward(_norm1.Forward(input));
        return x + ffn.Forward(_norm2.Forward(x));
    });
}

/// <summary>
/// TransformerBlock1 of Dualmaskformer.py, the fusion block: m = LN1(A), d = LN1(B); x = m + MHA(queries m, keys and
/// values d) — the residual is on the normalised m, not on A; x = x + FFN(LN2(x)).
/// </summary>
public sealed class FusionTransformerBlock : Module
{
    private readonly MultiHeadedAttention _attention;
    private readonly FeedForward _ffn;
    private readonly LayerNorm _norm1, _norm2;

    public FusionTransformerBlock(int hidden, int heads, Generator g)
    {
        _attention = RegisterModule("attention", new MultiHeadedAttention(hidden, heads, g));
        _ffn = RegisterModule("ffn", new FeedForward(hidden, g));
        _norm1 = RegisterModule("norm1", new LayerNorm(hidden));
        _norm2 = RegisterModule("norm2", new LayerNorm(hidden));
    }

    public Tensor Forward(Tensor a, Tensor b) => Intermediates.Release(() =>
    {
        var m = _norm1.Forward(a);
        var d = _norm1.Forward(b);
        var x = m + _attention.Forward(m, d);
        return x + _ffn.Forward(_norm2.Forward(x));
    });
}
