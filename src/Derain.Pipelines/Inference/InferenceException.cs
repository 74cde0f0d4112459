namespace Derain.Pipelines.Inference;

/// <summary>A request that cannot run as given (bad paths, weights or options); the message says what to change.</summary>
public sealed class InferenceException(string message, Exception? inner = null) : Exception(message, inner);
