using Derain.NN.Losses;
using Derain.Tensors;

namespace Derain.Models.Mgid;

/// <summary>The terms of one <see cref="MgidLoss"/> evaluation (values before weighting).</summary>
/// <param name="Total">The differentiable scalar to minimise.</param>
/// <param name="Pixel">L1(d₁, d₂): the two derained frames agree (Train.py's loss_pixel1).</param>
/// <param name="Texture">L1(d₁, r₂) + L1(r₁, d₂): each derained frame stays close to the other rainy frame (loss_tex1 + loss_tex2).</param>
/// <param name="Same">L1(d₂ + s₁, r₁) + L1(d₁ + s₂, r₂): the other frame's background plus this frame's streaks rebuild this frame (loss_same1 + loss_same2).</param>
/// <param name="Gathering">The memory's gathering ("compactness") loss of the second frame's pass.</param>
/// <param name="Whitening">The BSW loss of the two instance-normed queries.</param>
/// <param name="Ssim">SSIM(d₁, d₂) (the loss subtracts 0.5 × this).</param>
public sealed record MgidLossTerms(Tensor Total, double Pixel, double Texture, double Same, double Gathering, double Whitening, double Ssim);

/// <summary>
/// MGID's self-supervised training objective on a pair of rainy frames r₁, r₂ of one static scene, exactly as the
/// official Train.py composes it from <c>convAE.forward(rain1, rain2, m_items, True)</c>
/// (<see cref="MgidNet.ForwardTrainingPair"/>; d = derained, s = streak = tanh(tanh(Gen)), all BGR on [−1, 1]):
/// <code>
/// L = L1(d₁, d₂) + L1(d₁, r₂) + L1(r₁, d₂) + L1(d₂ + s₁, r₁) + L1(d₁ + s₂, r₂)
///     + 0.01 · gathering + 0.01 · BSW(q₁, q₂) − 0.5 · SSIM(d₁, d₂)
/// </code>
/// Which tensors each term takes, following Train.py and Reconstruction_skip.py:
/// <list type="bullet">
/// <item>L1 is nn.L1Loss (mean over all elements of the batch).</item>
/// <item>The forward order: both frames go through the encoder (BatchNorm batch statistics per call; the running
/// statistics update with frame 1 first), frame 1 reads and updates the incoming memory M → M′, frame 2 reads
/// and updates M′ → M″; M″ (detached) is the memory of the next iteration. Nothing of the memory is learned:
/// the optimiser holds the encoder and decoder only.</item>
/// <item>gathering: convAE returns the gathering loss of the second Memory call only (the first call's is
/// overwritten), i.e. MSE between frame 2's L2-normalised query and its nearest item of M′, mean over B·h·w·64.</item>
/// <item>BSW: <c>ISWloss(fea4_1, fea4_2)</c> on both frames' bottlenecks after InstanceNorm2d and before the L2
/// normalisation (<see cref="MgidForward.Query"/>), see <see cref="BswLoss"/>.</item>
/// <item>SSIM: pytorch-ssim's SSIM() (11×11 Gaussian, σ 1.5, zero padding, C₁ = 0.01², C₂ = 0.03² for a range of
/// 1) applied directly to the [−1, 1] images, as Train.py does (<see cref="Loss.Ssim"/>).</item>
/// <item>The spreading (triplet) loss is computed by the official memory and discarded; it is not part of L.</item>
/// </list>
/// </summary>
public sealed class MgidLoss
{
    /// <summary>Train.py's <c>--loss_compact</c>.</summary>
    public const double DefaultGatheringWeight = 0.01;

    /// <summary>Train.py's <c>--loss_white</c>.</summary>
    public const double DefaultWhiteningWeight = 0.01;

    /// <summary>The weight of −SSIM in Train.py.</summary>
    public const double DefaultSsimWeight = 0.5;

    private readonly double _gathering, _whitening, _ssim;
    private readonly int _clusters;

    public MgidLoss(double gatheringWeight = DefaultGatheringWeight, double whiteningWeight = DefaultWhiteningWeight,
        double ssimWeight = DefaultSsimWeight, int clusters = BswLoss.Clusters)
    {
        _gathering = gatheringWeight;
        _whitening = whiteningWeight;
        _ssim = ssimWeight;
        _clusters = clusters;
    }

    /// <param name="forward">The training-branch pass over the pair.</param>
    /// <param name="rain1">Frame 1 as the network got it, [B, 3, H, W] BGR on [−1, 1].</param>
    /// <param name="rain2">Frame 2, likewise.</param>
    public MgidLossTerms Compute(MgidPairForward forward, Tensor rain1, Tensor rain2)
    {
        var d1 = forward.First.Derained;
        var d2 = forward.Second.Derained;
        var s1 = forward.First.Streak;
        var s2 = forward.Second.Streak;
        var pixel = Loss.L1(d1, d2);
        var texture = Loss.L1(d1, rain2) + Loss.L1(rain1, d2);
        var same = Loss.L1(d2 + s1, rain1) + Loss.L1(d1 + s2, rain2);
        var gathering = forward.GatheringLoss;
        var whitening = BswLoss.Compute(forward.First.Query, forward.Second.Query, _clusters).Loss;
        var ssim = Loss.Ssim(d1, d2);
        var total = pixel + texture + same + Ops.Mul(gathering, _gathering) + Ops.Mul(whitening, _whitening) - Ops.Mul(ssim, _ssim);
        return new MgidLossTerms(total, pixel.Item(), texture.Item(), same.Item(), gathering.Item(), whitening.Item(), ssim.Item());
    }
}
