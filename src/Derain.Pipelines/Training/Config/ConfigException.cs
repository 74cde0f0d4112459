namespace Derain.Pipelines.Training.Config;

/// <summary>
/// A mistake in an experiment file the user can fix: the message names the file and line, the key
/// (<c>train.patch_size</c>) and what to write instead.
/// </summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// Thrown by a configuration section's constructor when a value is out of range; the binder adds the file, line
/// and the section's path to <see cref="Key"/> and turns it into a <see cref="ConfigException"/>.
/// </summary>
public sealed class ConfigValueException(string key, string problem) : Exception(problem)
{
    /// <summary>The YAML key within the section (e.g. <c>patch_size</c>); empty for the section as a whole.</summary>
    public string Key { get; } = key;
}
