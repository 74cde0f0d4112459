using Derain.Models.Common;
using Derain.NN.Init;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>
/// EEVRSR's motion-compensation sub-net (official <c>net_final.py</c> <c>warp_img</c>, after VESPCN): three stages
/// estimate a flow from (target, neighbour) at ×4, ×4 and ×2 down-scaling, each adding a tanh-bounded increment to
/// the flow so far; every stage warps the neighbour with <see cref="Ops.FlowWarpClamped"/> at 64 pixels per unit.
/// One weight set serves all four neighbours, so they are processed as one batch.
/// State-dict names: large.a1 … a5, x4.b1 … b5, x2.c1 … c5 (the TF scopes MCNet/Large, X4, X2).
/// </summary>
public sealed class MotionCompensation : Module
{
    /// <summary>Pixels per flow unit (the official sampler multiplies the tanh output by 64).</summary>
    public const double FlowScale = 64;

    private readonly FlowStage _large, _x4, _x2;

    public MotionCompensation(Generator generator)
    {
        _large = RegisterModule("large", new FlowStage("a", inChannels: 2, [(7, 2), (5, 1), (7, 2), (5, 1)], outChannels: 32, upscale: 4, generator));
        _x4 = RegisterModule("x4", new FlowStage("b", inChannels: 5, [(5, 2), (3, 1), (5, 2), (3, 1)], outChannels: 32, upscale: 4, generator));
        _x2 = RegisterModule("x2", new FlowStage("c", inChannels: 5, [(5, 2), (3, 1), (3, 1), (3, 1)], outChannels: 8, upscale: 2, generator));
    }

    /// <summary>Warps <paramref name="neighbour"/> onto <paramref name="target"/> (both [B, 1, H, W], H and W multiples of 4).</summary>
    /// <returns>The warped neighbour and the summed flow [B, 2, H, W] in tanh units.</returns>
    public (Tensor Warped, Tensor Flow) Forward(Tensor target, Tensor neighbour) => Forward(target, neighbour, null);

    /// <summary>As <see cref="Forward(Tensor, Tensor)"/>, reporting each stage's flow and warp to <paramref name="trace"/> (layer-by-layer parity tests).</summary>
    internal (Tensor Warped, Tensor Flow) Forward(Tensor target, Tensor neighbour, Action<string, Tensor>? trace)
    {
        var pair = Ops.Concat([target, neighbour], 1);
        var flow1 = _large.Forward(pair);
        var warp1 = Ops.FlowWarpClamped(neighbour, flow1, FlowScale);
        trace?.Invoke("flow_large", flow1);
        trace?.Invoke("warp1", warp1);
        // Each refinement sees the pair, the flow so far (unscaled) and the current warp; its increment is added.
        var delta2 = _x4.Forward(Ops.Concat([pair, flow1, warp1], 1));
        var flow2 = flow1 + delta2;
        var warp2 = Ops.FlowWarpClamped(neighbour, flow2, FlowScale);
        var delta3 = _x2.Forward(Ops.Concat([pair, flow2, warp2], 1));
        var flow3 = flow2 + delta3;
        var warp3 = Ops.FlowWarpClamped(neighbour, flow3, FlowScale);
        if (trace is not null)
        {
            trace("flow_x4", delta2);
            trace("uv1", flow2);
            trace("warp2", warp2);
            trace("flow_x2", delta3);
            trace("uv2", flow3);
            trace("warp3", warp3);
        }
        return (warp3, flow3);
    }
}

/// <summary>
/// One flow-estimation stage: four PReLU convolutions (TF 'SAME' padding, strides as given), a tanh convolution to
/// 2·r² channels and depth-to-space ×r. The official reshape [h, w, 2, r, r] → transpose puts the flow channel first,
/// i.e. channel c·r² + ry·r + rx, which is exactly torch.nn.PixelShuffle's order.
/// </summary>
internal sealed class FlowStage : Module
{
    private readonly ConvPrelu[] _body;
    private readonly ConvNd _head;
    private readonly int _upscale;

    public FlowStage(string prefix, int inChannels, (int Kernel, int Stride)[] body, int outChannels, int upscale, Generator g)
    {
        _upscale = upscale;
        _body = new ConvPrelu[body.Length];
        int ch = inChannels;
        for (int i = 0; i < body.Length; i++)
        {
            _body[i] = RegisterModule($"{prefix}{i + 1}", new ConvPrelu(ch, 24, body[i].Kernel, body[i].Stride, g));
            ch = 24;
        }
        _head = RegisterModule($"{prefix}{body.Length + 1}", EevrsrInit.Conv(ch, outChannels, 3, 1, g));
    }

    public Tensor Forward(Tensor x)
    {
        var input = x;
        return Intermediates.Release(() =>
        {
            // The activations between the stage's convolutions never go back to NCHW. The first layer (2 or 5 input
            // channels) writes channel blocks, whose backward passes run on FewChannelConv; the 24-channel layers
            // after it run on oneDNN's NHWC kernels (channels-last in and out, the second layer's input reordered
            // from blocks inside its plan), which waste less on 24 channels than the 16-channel blocks
            // (./bench convprobe; docs/eevrsr.md, Benchmark). Only the stage's input and the head's output are NCHW.
            var h = _body[0].Forward(input, ActivationLayout.Planar, ActivationLayout.Blocked);
            var layout = ActivationLayout.Blocked;
            foreach (var layer in _body.AsSpan(1))
            {
                h = layer.Forward(h, layout, ActivationLayout.ChannelsLast);
                layout = ActivationLayout.ChannelsLast;
            }
            return Ops.PixelShuffle(Ops.Tanh(_head.Forward(h, layout)), _upscale);
        });
    }
}

/// <summary>slim.conv2d with tflearn's PReLU: conv (TF 'SAME'), then relu(x) + α·(x − |x|)/2 = PReLU with per-channel α (initialised to 0 as tflearn does).</summary>
internal sealed class ConvPrelu : Module
{
    private readonly ConvNd _conv;
    private readonly PRelu _prelu;

    public ConvPrelu(int inChannels, int outChannels, int kernel, int stride, Generator g)
    {
        _conv = RegisterModule("conv", EevrsrInit.Conv(inChannels, outChannels, kernel, stride, g));
        _prelu = RegisterModule("prelu", new PRelu(outChannels, init: 0.0));
    }

    /// <summary>The layer from an input in <paramref name="input"/> layout to an output in <paramref name="output"/> layout.</summary>
    public Tensor Forward(Tensor x, ActivationLayout input, ActivationLayout output)
    {
        var y = _conv.Forward(x, input, output);
        return output switch
        {
            ActivationLayout.Blocked => Ops.PReluBlocked(y, _prelu.Weight),
            ActivationLayout.ChannelsLast => Ops.PReluChannelsLast(y, _prelu.Weight),
            _ => Ops.PRelu(y, _prelu.Weight),
        };
    }
}

/// <summary>The official initialisation: Xavier-uniform weights (tf.contrib.layers.xavier_initializer), zero biases.</summary>
internal static class EevrsrInit
{
    public static ConvNd Conv(int inChannels, int outChannels, int kernel, int stride, Generator g)
    {
        var conv = ConvNd.Conv2d(inChannels, outChannels, kernel, g, stride, ConvPadding.Same, bias: true);
        using (Tensors.Autograd.GradMode.NoGrad())
        {
            Initializers.XavierUniform(conv.Weight, g);
            Initializers.Constant(conv.Bias!, 0);
        }
        return conv;
    }
}
