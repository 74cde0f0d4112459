namespace Derain.Data.Loading;

/// <summary>One augmentation draw: the crop (in input pixels) and the flips and transpose applied after it.</summary>
internal readonly record struct SpatialWindow(int Top, int Left, int Height, int Width, bool HorizontalFlip, bool VerticalFlip, bool Transpose);
