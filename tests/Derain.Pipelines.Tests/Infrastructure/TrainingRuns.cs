using Derain.NN.Checkpoints;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Logging;

namespace Derain.Pipelines.Tests.Infrastructure;

/// <summary>Records the trainer's messages and can cancel the run after a given iteration's log entry.</summary>
public sealed class TrainingRecorder(long stopAfter = long.MaxValue) : ITrainingReporter
{
    public CancellationTokenSource Stop { get; } = new();

    public List<string> Messages { get; } = [];

    public void Message(string text) => Messages.Add(text);

    public void Train(LogEntry entry, long totalIterations)
    {
        if (entry.Iteration >= stopAfter) Stop.Cancel();
    }

    public void Validation(LogEntry entry, bool isBest) { }
}

/// <summary>What the trainer tests of every network share: running an experiment, and comparing runs exactly.</summary>
public static class TrainingRuns
{
    /// <summary>Runs <paramref name="config"/>, cancelled after iteration <paramref name="stopAfter"/> when given.</summary>
    public static TrainingResult Train(ExperimentConfig config, long stopAfter = long.MaxValue) => Train(config, new TrainingRecorder(stopAfter));

    public static TrainingResult Train(ExperimentConfig config, TrainingRecorder recorder)
        => new Trainer(config, recorder).Run(recorder.Stop.Token);

    /// <summary>Everything a log entry holds except wall-clock timings, as exact bit patterns.</summary>
    public static List<string> Deterministic(string experimentDir)
        => TrainingLog.Read(Path.Combine(experimentDir, TrainingLog.JsonFile))
            .Select(e => $"{e.Kind} {e.Iteration}: " + string.Join(", ", e.Values
                .Where(v => v.Key is not ("s_per_iter" or "eta_s" or "val_s"))
                .Select(v => $"{v.Key}={(v.Value is double d ? BitConverter.DoubleToInt64Bits(d).ToString("x16") : "null")}")))
            .ToList();

    public static Dictionary<string, float[]> Weights(string file)
    {
        using var reader = Checkpoint.Open(file);
        return reader.ReadAll().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    /// <summary>Asserts that two weight files hold the same tensors, bit for bit.</summary>
    public static void SameWeights(string expectedFile, string actualFile)
    {
        var expected = Weights(expectedFile);
        var actual = Weights(actualFile);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected) Assert.True(values.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }
}
