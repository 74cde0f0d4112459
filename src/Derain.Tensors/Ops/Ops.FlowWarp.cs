using System.Numerics;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Backward warping by a dense flow with the clamped-corner bilinear sampler of the spatial-transformer code
    /// that VESPCN-style motion compensation (and EEVRSR's <c>utils.py</c> Transformer) uses. For pixel (x, y)
    /// the sample point is X = x + scale·flow[0], Y = y + scale·flow[1] (channel 0 horizontal, in pixels after
    /// scaling); the corners x0 = ⌊X⌋, x1 = x0 + 1 (and y0, y1) are each clamped to the image, and the bilinear
    /// weights are computed from the clamped integers and the unclamped X, Y. Inside the image this is ordinary
    /// bilinear sampling; outside it (X &lt; 0, X ≥ W − 1, likewise Y) the weights no longer sum to one and the
    /// sample fades towards 0. That differs from every grid_sample padding mode and is what the official EEVRSR
    /// weights were trained with, so it is reproduced exactly, gradients included (those of the formula above,
    /// taking ⌊·⌋ as constant, as TensorFlow differentiates it).
    /// </summary>
    /// <param name="image">[N, C, H, W].</param>
    /// <param name="flow">[N, 2, H, W]; channel 0 moves along x (width), channel 1 along y.</param>
    /// <param name="scale">Multiplier applied to the flow before sampling (EEVRSR: 64, its flows are tanh units).</param>
    public static Tensor FlowWarpClamped(Tensor image, Tensor flow, double scale = 1.0)
    {
        const string op = "FlowWarpClamped";
        image.ThrowIfDisposed();
        flow.ThrowIfDisposed();
        CheckSameDType(op, image, flow);
        if (image.Rank != 4 || flow.Rank != 4 || flow.Size(1) != 2 || flow.Size(0) != image.Size(0)
            || flow.Size(2) != image.Size(2) || flow.Size(3) != image.Size(3))
            throw ShapeError(op, $"image must be [N, C, H, W] and flow [N, 2, H, W] with the same N, H, W; got image {image.Shape} and flow {flow.Shape}.");
        var g = new FlowWarpGeometry(image.Size(0), image.Size(1), image.Size(2), image.Size(3), scale);
        var y = Tensor.Empty(image.Shape, image.DType);
        if (image.DType == DType.Float32) FlowWarpKernel.Forward(g, image.Span<float>(), flow.Span<float>(), y.Span<float>());
        else FlowWarpKernel.Forward(g, image.Span<double>(), flow.Span<double>(), y.Span<double>());
        if (!GradNode.WillRecord(image, flow)) return y;
        return GradNode.Record(y, new FlowWarpBackward(g, image, flow), image, flow);
    }

    private sealed class FlowWarpBackward : GradNode
    {
        private readonly FlowWarpGeometry _g;
        private readonly Tensor _image, _flow;

        public FlowWarpBackward(FlowWarpGeometry g, Tensor image, Tensor flow)
        {
            _g = g;
            _image = Save(image);
            _flow = Save(flow);
        }

        public override string Name => "FlowWarpClampedBackward";

        protected internal override Tensor?[] Backward(Tensor gradOutput)
        {
            var dt = _image.DType;
            Tensor? dImage = NeedsGrad(0) ? Tensor.Zeros(_image.Shape, dt) : null;
            Tensor? dFlow = NeedsGrad(1) ? Tensor.Empty(_flow.Shape, dt) : null;
            if (dt == DType.Float32)
                FlowWarpKernel.Backward(_g, _image.Span<float>(), _flow.Span<float>(), gradOutput.Span<float>(),
                    SpanOrEmpty<float>(dImage), SpanOrEmpty<float>(dFlow));
            else
                FlowWarpKernel.Backward(_g, _image.Span<double>(), _flow.Span<double>(), gradOutput.Span<double>(),
                    SpanOrEmpty<double>(dImage), SpanOrEmpty<double>(dFlow));
            return [dImage, dFlow];
        }
    }
}

/// <summary>Sizes of a <see cref="Ops.FlowWarpClamped"/> call.</summary>
internal readonly record struct FlowWarpGeometry(int N, int Channels, int H, int W, double Scale)
{
    public int Plane => H * W;
}
