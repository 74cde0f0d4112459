namespace Derain.Data.Metrics;

/// <summary>PSNR (dB, +∞ for identical inputs) and SSIM of one image pair or the mean over many.</summary>
public readonly record struct QualityScore(double Psnr, double Ssim)
{
    /// <summary>
    /// The mean of each metric. For video datasets take the mean of each video's frames first, then the mean of
    /// those (the VRDS protocol), so every video weighs the same. Any infinite PSNR makes the mean infinite.
    /// </summary>
    public static QualityScore Mean(IEnumerable<QualityScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        double psnr = 0, ssim = 0;
        int n = 0;
        foreach (var s in scores)
        {
            psnr += s.Psnr;
            ssim += s.Ssim;
            n++;
        }
        if (n == 0) throw new ArgumentException("No scores to average.", nameof(scores));
        return new QualityScore(psnr / n, ssim / n);
    }
}
