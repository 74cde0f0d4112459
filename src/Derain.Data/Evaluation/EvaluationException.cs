namespace Derain.Data.Evaluation;

/// <summary>The prediction and ground-truth folders cannot be compared (unmatched names, counts, sizes, empty folders).</summary>
public sealed class EvaluationException(string message) : Exception(message);
