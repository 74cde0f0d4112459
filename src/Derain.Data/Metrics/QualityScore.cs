namespace Derain.Data.Metrics;

/// <summary>PSNR (dB, +∞ for identical inputs) and SSIM of one image pair or the mean over many.</summary>
public readonly record struct QualityScore(double Psnr, double Ssim);
