using Derain.Tensors;

namespace Derain.Models.Eevrsr;

/// <summary>The two published EEVRSR networks (official checkpoints <c>EEVRSR_all</c> and <c>EEVRSR_derain_only</c>).</summary>
public enum EevrsrVariant
{
    /// <summary>Motion-compensation sub-net aligning t±1, t±2 onto t, then the de-raining sub-net (<c>test_network</c>).</summary>
    All,

    /// <summary>The de-raining sub-net alone on the unaligned frames (<c>train_or_test_network_drain_only</c>).</summary>
    DerainOnly,
}

/// <summary>What one EEVRSR forward pass produced.</summary>
/// <param name="Output">[N, 1, H, W]: the centre frame's luma plus the predicted residual, never clamped.</param>
/// <param name="Warped">[N, 4, H, W]: t−2, t−1, t+1, t+2 warped onto t (null for <see cref="EevrsrVariant.DerainOnly"/>).</param>
/// <param name="Flow">[4N, 2, H, W], sample-major (index n·4 + k): the summed flow of each warp in tanh units
/// (×64 = pixels; channel 0 horizontal). Null for <see cref="EevrsrVariant.DerainOnly"/>.</param>
public sealed record EevrsrForward(Tensor Output, Tensor? Warped, Tensor? Flow);
