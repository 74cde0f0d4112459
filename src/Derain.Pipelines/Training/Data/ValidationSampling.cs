using Derain.Data.Loading;
using Derain.Data.Metrics;

namespace Derain.Pipelines.Training.Data;

/// <summary>
/// What the validation sets (<see cref="ValidationSet"/>, <see cref="TimeLapseValidationSet"/>,
/// <see cref="RgbClipValidationSet"/>) share: which samples are measured, the centre window measured in each, and the
/// per-video (per-scene) averaging of scores.
/// </summary>
internal static class ValidationSampling
{
    /// <summary>
    /// At most <paramref name="max"/> of <paramref name="count"/> indices, evenly spaced and starting in the middle of
    /// the first stride, so that a short budget is not biased to the start of the set.
    /// </summary>
    public static int[] EvenlySpaced(int count, int? max)
    {
        int n = Math.Min(count, max ?? count);
        return Enumerable.Range(0, n).Select(i => (int)(((long)(2 * i + 1) * count) / (2L * n))).ToArray();
    }

    /// <summary>
    /// The centre <paramref name="crop"/> square of a width × height frame (the whole frame when null), cut down to
    /// multiples of <paramref name="multiple"/>; a frame too small for one multiple is a <see cref="DatasetException"/>.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) CentreWindow(string sample, int width, int height, int? crop, int multiple)
    {
        int h = crop is int c ? Math.Min(c, height) : height, w = crop is int c2 ? Math.Min(c2, width) : width;
        h -= h % multiple;
        w -= w % multiple;
        if (h == 0 || w == 0)
            throw new DatasetException($"{sample}: {width}×{height} frames are too small to validate on (need at least {multiple}×{multiple})");
        return ((height - h) / 2, (width - w) / 2, h, w);
    }

    /// <summary>Adds a score to its video's list.</summary>
    public static void Add(Dictionary<string, List<QualityScore>> scores, string video, QualityScore score)
    {
        if (!scores.TryGetValue(video, out var list)) scores[video] = list = [];
        list.Add(score);
    }

    /// <summary>The mean over videos of each video's mean score.</summary>
    public static QualityScore Mean(Dictionary<string, List<QualityScore>> perVideo)
        => QualityScore.Mean(perVideo.Values.Select(QualityScore.Mean));
}
