using Derain.Tensors;
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

    /// <summary>
    /// Measures every index in <paramref name="indices"/> inside its own <see cref="TensorScope"/> and averages the
    /// restored and the input scores per group (video or scene) first, then over groups.
    /// </summary>
    /// <param name="indices">The samples measured.</param>
    /// <param name="measure">One index → its group and the scores of the restored output and of the rainy input.</param>
    public static (QualityScore Restored, QualityScore Input) Average(IEnumerable<int> indices, Func<int, (string Group, QualityScore Restored, QualityScore Input)> measure)
    {
        var restored = new Dictionary<string, List<QualityScore>>(StringComparer.Ordinal);
        var input = new Dictionary<string, List<QualityScore>>(StringComparer.Ordinal);
        foreach (int index in indices)
        {
            using var scope = TensorScope.Begin();
            var (group, r, i) = measure(index);
            Add(restored, group, r);
            Add(input, group, i);
        }
        return (Mean(restored), Mean(input));
    }

    private static void Add(Dictionary<string, List<QualityScore>> scores, string group, QualityScore score)
    {
        if (!scores.TryGetValue(group, out var list)) scores[group] = list = [];
        list.Add(score);
    }

    private static QualityScore Mean(Dictionary<string, List<QualityScore>> perGroup)
        => QualityScore.Mean(perGroup.Values.Select(QualityScore.Mean));
}
