using Derain.Data.Metrics;

namespace Derain.Pipelines.Training.Data;

/// <summary>A held-out set bound to the network it measures; the trainer calls it in eval mode without gradients.</summary>
public interface IValidationSet
{
    /// <summary>Clips or images measured per validation (the log's val_clips).</summary>
    int Count { get; }

    /// <summary>Mean scores of the network's restorations and of the rainy inputs themselves against the clean frames.</summary>
    (QualityScore Restored, QualityScore Input) Evaluate();
}
