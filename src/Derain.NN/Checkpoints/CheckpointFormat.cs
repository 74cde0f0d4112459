namespace Derain.NN.Checkpoints;

/// <summary>
/// A checkpoint format that <see cref="Checkpoint.Open"/> tries before its built-in detection.
/// </summary>
/// <param name="Name">A short name for messages (e.g. tensorflow-v2).</param>
/// <param name="Probe">True if this format should open the path; must not throw for paths it does not know.</param>
/// <param name="Open">Opens the path; throws <see cref="InvalidDataException"/> for a malformed file.</param>
public sealed record CheckpointFormat(string Name, Func<string, bool> Probe, Func<string, ICheckpointReader> Open);
