using Derain.Tensors;

namespace Derain.Models.Mgid;

/// <summary>
/// What one MGID pass over a batch of single images computes (official <c>convAE.forward</c>).
/// </summary>
/// <param name="Derained">x − streak, [B, 3, H, W], BGR on the [−1, 1] scale (not clamped).</param>
/// <param name="Streak">tanh(Gen(…)) — Gen already ends in Tanh, so tanh is applied twice — [B, 3, H, W].</param>
/// <param name="Query">The bottleneck after InstanceNorm2d and before the L2 normalisation, [B, 64, H/8, W/8]: what the
/// BSW (ISW) loss takes (official <c>fea4_1</c> in the training branch).</param>
/// <param name="ReadFeatures">cat(normalised query, memory read), [B, 128, H/8, W/8] (official <c>updated_fea</c>).</param>
/// <param name="UpdatedMemory">The memory after this pass, [M, 64], no gradient: updated (training branch) or the input keys
/// unchanged (test branch).</param>
/// <param name="GatheringLoss">Scalar MSE between the normalised query and its nearest item (official <c>gathering_loss</c>,
/// Train.py's "compactness" loss); differentiable with respect to the network in training.</param>
/// <param name="SpreadingLoss">The triplet loss the official training branch computes and discards; null in the test branch.</param>
public sealed record MgidForward(Tensor Derained, Tensor Streak, Tensor Query, Tensor ReadFeatures, Tensor UpdatedMemory,
    Tensor GatheringLoss, double? SpreadingLoss);

/// <summary>
/// The official training branch (<c>convAE.forward(x1, x2, keys, train=True)</c>) on a pair of frames.
/// </summary>
/// <param name="First">Frame 1: read with the incoming memory; its <see cref="MgidForward.UpdatedMemory"/> is the memory after one update.</param>
/// <param name="Second">Frame 2: read with the memory updated by frame 1; its gathering loss is the one Train.py uses.</param>
public sealed record MgidPairForward(MgidForward First, MgidForward Second)
{
    /// <summary>The memory after both updates (Train.py carries it to the next iteration and saves it).</summary>
    public Tensor UpdatedMemory => Second.UpdatedMemory;

    /// <summary>The gathering loss Train.py weights by 0.01: the second frame's (the first is overwritten in the official code).</summary>
    public Tensor GatheringLoss => Second.GatheringLoss;
}
