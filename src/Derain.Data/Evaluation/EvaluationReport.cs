using Derain.Data.Metrics;

namespace Derain.Data.Evaluation;

/// <summary>One compared image, or one video with the mean over its frames.</summary>
public sealed record EvaluationItem(string Name, int Frames, QualityScore Score);

/// <summary>
/// Scores per image or per video and their mean. For videos the mean is over videos of the per-video means
/// (the VRDS protocol), so a long video weighs as much as a short one.
/// </summary>
public sealed record EvaluationReport(MetricOptions Options, bool Videos, IReadOnlyList<EvaluationItem> Items, QualityScore Mean)
{
    /// <summary>"video" or "image".</summary>
    public string Unit => Videos ? "video" : "image";

    public int TotalFrames => Items.Sum(i => i.Frames);
}
