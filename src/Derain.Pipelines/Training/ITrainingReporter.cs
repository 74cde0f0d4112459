using Derain.Pipelines.Training.Logging;

namespace Derain.Pipelines.Training;

/// <summary>Receives what a <see cref="Trainer"/> does, for the console (the files are written either way).</summary>
public interface ITrainingReporter
{
    /// <summary>A one-line event: data rendered, resumed, checkpoint saved, interrupted.</summary>
    void Message(string text);

    /// <summary>A <c>train</c> entry was logged (every <c>logger.print_freq</c> iterations).</summary>
    void Train(LogEntry entry, long totalIterations);

    /// <summary>A <c>val</c> entry was logged; <paramref name="isBest"/> when it is the best score so far.</summary>
    void Validation(LogEntry entry, bool isBest);
}

/// <summary>A reporter that drops everything.</summary>
public sealed class SilentReporter : ITrainingReporter
{
    public static SilentReporter Instance { get; } = new();

    public void Message(string text) { }

    public void Train(LogEntry entry, long totalIterations) { }

    public void Validation(LogEntry entry, bool isBest) { }
}
