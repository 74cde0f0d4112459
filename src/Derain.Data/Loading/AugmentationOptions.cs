namespace Derain.Data.Loading;

/// <summary>
/// Spatial augmentation of a sample (ViMP-Net: 256² crop, horizontal flip, vertical flip and H/W transpose, each
/// with probability ½). Every key of a sample gets the same crop window and the same flips.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>Side of the square random crop, or null for no crop.</summary>
    public int? CropSize { get; init; }

    /// <summary>Mirror left–right with probability ½.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Mirror top–bottom with probability ½.</summary>
    public bool VerticalFlip { get; init; }

    /// <summary>Swap H and W with probability ½ (with the flips this covers all eight square symmetries).</summary>
    public bool Transpose { get; init; }

    /// <summary>ViMP-Net's training augmentation with a crop of <paramref name="cropSize"/>.</summary>
    public static AugmentationOptions Training(int cropSize = 256)
        => new() { CropSize = cropSize, HorizontalFlip = true, VerticalFlip = true, Transpose = true };
}
