using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>The terms of one <see cref="EevrsrLoss"/> evaluation.</summary>
/// <param name="Total">The differentiable scalar to minimise.</param>
/// <param name="Restoration">MSE of the restored luma against the clean centre frame.</param>
/// <param name="Motion">The motion-compensation term (0 for <see cref="EevrsrVariant.DerainOnly"/>), before weighting.</param>
public sealed record EevrsrLossTerms(Tensor Total, double Restoration, double Motion);

/// <summary>
/// EEVRSR's training objective. The official repository has test code only and the paper's loss was not retrievable
/// (../shared/docs/networks/eevrsr.md, "Unknown"), so this is the natural recipe its architecture comes from:
/// MSE on the restored luma, plus VESPCN's motion-compensation loss (Caballero et al., CVPR 2017, eq. 3) for each
/// of the four warps — MSE between the warped neighbour and the (rainy) centre frame, and a flow-smoothness penalty
/// with the Huber approximation H(∂u, ∂v) = √(ε + Σ(∂x·)² + (∂y·)²), ε = 0.01, on the flow in pixels:
/// L = mean(Ŷ − Y)² + w_mc·[mean(W_k − F_t)² + λ·mean H],  λ = <c>smoothness</c>.
/// </summary>
public sealed class EevrsrLoss
{
    /// <summary>VESPCN's ε inside the square root of the Huber approximation.</summary>
    public const double HuberEpsilon = 0.01;

    private readonly double _motionWeight, _smoothness;

    public EevrsrLoss(double motionWeight = 1.0, double smoothness = 0.01)
    {
        _motionWeight = motionWeight;
        _smoothness = smoothness;
    }

    /// <param name="forward">The network's detailed forward pass.</param>
    /// <param name="frames">The rainy input [N, 5, H, W].</param>
    /// <param name="target">The clean centre luma [N, 1, H, W].</param>
    public EevrsrLossTerms Compute(EevrsrForward forward, Tensor frames, Tensor target)
    {
        var restoration = Ops.Mean(Ops.Square(forward.Output - target));
        double restorationValue = restoration.Item();
        if (forward.Warped is null || forward.Flow is null || _motionWeight == 0)
            return new EevrsrLossTerms(restoration, restorationValue, 0);
        var centre = Ops.Repeat(Ops.Narrow(frames, 1, 2, 1), 1, 4, 1, 1);
        var warpError = Ops.Mean(Ops.Square(forward.Warped - centre));
        var motion = _smoothness == 0 ? warpError : warpError + _smoothness * FlowRoughness(forward.Flow);
        double motionValue = motion.Item();
        return new EevrsrLossTerms(restoration + _motionWeight * motion, restorationValue, motionValue);
    }

    /// <summary>mean √(ε + |∇u|² + |∇v|²) over the (H−1)×(W−1) grid with forward differences, flow in pixels.</summary>
    private static Tensor FlowRoughness(Tensor flow)
    {
        int h = flow.Size(2), w = flow.Size(3);
        var pixels = flow * MotionCompensation.FlowScale;
        var dx = Ops.Narrow(Ops.Narrow(pixels, 3, 1, w - 1) - Ops.Narrow(pixels, 3, 0, w - 1), 2, 0, h - 1);
        var dy = Ops.Narrow(Ops.Narrow(pixels, 2, 1, h - 1) - Ops.Narrow(pixels, 2, 0, h - 1), 3, 0, w - 1);
        var squared = Ops.Sum(Ops.Square(dx) + Ops.Square(dy), 1);
        return Ops.Mean(Ops.Sqrt(squared + HuberEpsilon));
    }
}
