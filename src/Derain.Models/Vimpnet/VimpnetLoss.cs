using Derain.NN.Losses;
using Derain.Tensors;

namespace Derain.Models.Vimpnet;

/// <summary>The five weighted terms of <see cref="VimpnetLoss.Compute"/> and their sum (what backward runs on).</summary>
/// <param name="Total">Sum of the five weighted terms.</param>
/// <param name="Pixel">loss_pix: Charbonnier(stage1, drop).</param>
/// <param name="Mask">loss_mask: 0.8 · BCE(raindrop mask, 01drop).</param>
/// <param name="Reconstruct">loss_reconstruct: 1.2 · Charbonnier(output, gt).</param>
/// <param name="Hole">loss_hole: 0.5 · L1(output·01drop, gt·01drop) / (mean(01drop) + 1e-8).</param>
/// <param name="Streak">loss_streak: 0.5 · MSE(streak map, mstreak).</param>
public sealed record VimpnetLossTerms(Tensor Total, double Pixel, double Mask, double Reconstruct, double Hole, double Streak);

/// <summary>
/// ViMP-Net's training objective, <c>Derainer.forward_train</c> of the official
/// <c>mmedit/models/derainers/derainer.py</c> with <c>pixel_loss = CharbonnierLoss(loss_weight 1, mean)</c> from
/// <c>configs/derainers/ViMPNet/ViMPNet.py</c>. Each output is compared with the label that describes what it should be:
/// <list type="table">
/// <item><term>loss_pix</term><description>1.0 · Charbonnier(stage1, <c>drop</c>): stage 1 removes the streaks only, so its
/// target is the frame with the raindrops still on it.</description></item>
/// <item><term>loss_mask</term><description>0.8 · BCE(raindrop mask (after its sigmoid), <c>01drop</c>).</description></item>
/// <item><term>loss_reconstruct</term><description>1.2 · Charbonnier(output, <c>gt</c>).</description></item>
/// <item><term>loss_hole</term><description>0.5 · L1(output·01drop, gt·01drop) / (mean(01drop) + 1e-8): the raindrop
/// regions again, normalised by their area (the [.., 1, H, W] mask broadcast over the 3 colour channels; the L1 mean is
/// over N·T·3·H·W, the mask mean over N·T·H·W, as in the official code).</description></item>
/// <item><term>loss_streak</term><description>0.5 · MSE(streak map (upsampled ×4, no activation), <c>mstreak</c>).</description></item>
/// </list>
/// Charbonnier is √(d² + 1e-12) averaged (BasicSR's CharbonnierLoss); BCE clamps its logs at −100 like PyTorch.
/// </summary>
public sealed class VimpnetLoss
{
    /// <summary>Official weights.</summary>
    public const double PixelWeight = 1.0, MaskWeight = 0.8, ReconstructWeight = 1.2, HoleWeight = 0.5, StreakWeight = 0.5;

    /// <summary>The ε added to mean(01drop) before dividing (0.00000001 in derainer.py).</summary>
    public const double HoleEpsilon = 1e-8;

    /// <summary>
    /// The loss of one batch. Every label is [N, T, C, H, W] on [0, 1] like the forward's outputs: <paramref name="gt"/>
    /// and <paramref name="drop"/> with C = 3, <paramref name="dropMask"/> (01drop) and <paramref name="streak"/>
    /// (mstreak) with C = 1.
    /// </summary>
    public VimpnetLossTerms Compute(VimpnetForward forward, Tensor gt, Tensor drop, Tensor dropMask, Tensor streak)
    {
        var pixel = Ops.Mul(Loss.Charbonnier(forward.Stage1, drop), PixelWeight);
        var mask = Ops.Mul(Loss.BinaryCrossEntropy(forward.DropMask, dropMask), MaskWeight);
        var reconstruct = Ops.Mul(Loss.Charbonnier(forward.Output, gt), ReconstructWeight);
        var hole = Ops.Div(Ops.Mul(Loss.L1(Ops.Mul(forward.Output, dropMask), Ops.Mul(gt, dropMask)), HoleWeight),
            Ops.Add(Ops.Mean(dropMask), HoleEpsilon));
        var streakLoss = Ops.Mul(Loss.Mse(forward.StreakMap, streak), StreakWeight);
        var total = pixel + mask + reconstruct + hole + streakLoss;
        return new VimpnetLossTerms(total, pixel.Item(), mask.Item(), reconstruct.Item(), hole.Item(), streakLoss.Item());
    }
}
