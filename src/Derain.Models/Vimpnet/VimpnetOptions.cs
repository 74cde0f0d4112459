namespace Derain.Models.Vimpnet;

/// <summary>
/// The widths of a <see cref="VimpnetNet"/>. <see cref="Official"/> is the generator of the official config
/// (<c>ViMPNet(mid_channels=64, num_blocks=9)</c>, transformer 256 channels, 512-wide tokens); smaller values give a
/// reduced-width network with the same structure for quick experiments and tests. Every width derived from these is
/// the official ratio: stage 1's reconstruction mid → 2·mid (shuffle) → mid/2 → mid (shuffle) → mid/4 channels at full
/// resolution, the streak head mid → mid/4 → 1, the raindrop head mid/4 → mid/8 → 1; the transformer's encoders
/// c/4 → c/2 → c and its decoder c → c/2 (shuffle) → c/8 → c/4 (shuffle) → c/16 → 3.
/// </summary>
/// <param name="MidChannels">mid_channels (64): stage-1 feature width; a multiple of 8 (16 deformable groups on 2·mid channels, mid/8 raindrop-head channels).</param>
/// <param name="NumBlocks">num_blocks (9): residual blocks of each propagation backbone.</param>
/// <param name="TransformerChannels">Encoder output channels of stage 2 (256); a multiple of 16.</param>
/// <param name="TransformerHidden">Token width of stage 2 (512); a multiple of <see cref="DualMaskTransformer.Heads"/>.</param>
/// <param name="MinSize">Smallest frame side accepted (256: the official forward asserts the ¼-scale SPyNet input is at
/// least 64 pixels). SPyNet resizes its input to a multiple of 32, so any multiple of 4 from 64 up computes; reduced
/// configurations may lower it to train on small crops.</param>
public sealed record VimpnetOptions(int MidChannels = 64, int NumBlocks = 9, int TransformerChannels = 256, int TransformerHidden = 512, int MinSize = 256)
{
    /// <summary>The official generator.</summary>
    public static VimpnetOptions Official { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first width the network cannot be built with.</summary>
    public void Validate()
    {
        if (MidChannels < 8 || MidChannels % 8 != 0)
            throw new ArgumentException($"mid_channels must be a positive multiple of 8 (16 deformable groups on 2·mid channels); got {MidChannels}.");
        if (NumBlocks < 1) throw new ArgumentException($"num_blocks must be at least 1; got {NumBlocks}.");
        if (TransformerChannels < 16 || TransformerChannels % 16 != 0)
            throw new ArgumentException($"transformer_channels must be a positive multiple of 16 (two ×2 pixel shuffles down to c/16); got {TransformerChannels}.");
        if (TransformerHidden < DualMaskTransformer.Heads || TransformerHidden % DualMaskTransformer.Heads != 0)
            throw new ArgumentException($"transformer_hidden must be a positive multiple of {DualMaskTransformer.Heads} (attention heads); got {TransformerHidden}.");
        if (MinSize < 64 || MinSize % VimpnetNet.SizeMultiple != 0)
            throw new ArgumentException($"min_size must be a multiple of {VimpnetNet.SizeMultiple} of at least 64 (SPyNet's pyramid); got {MinSize}.");
    }
}
