using Derain.Tensors;

namespace Derain.NN.Checkpoints;

/// <summary>
/// The tensors of another reader whose names start with a prefix, listed without it — e.g. the generator of
/// an MMEditing checkpoint (<c>generator.</c>), or a state dict saved from nn.DataParallel (<c>module.</c>).
/// Disposing it disposes the inner reader.
/// </summary>
public sealed class PrefixedCheckpointReader : ICheckpointReader
{
    private readonly ICheckpointReader _inner;
    private readonly string _prefix;

    /// <summary>Wraps <paramref name="inner"/>; throws if no tensor name starts with <paramref name="prefix"/>.</summary>
    public PrefixedCheckpointReader(ICheckpointReader inner, string prefix)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _inner = inner;
        _prefix = prefix;
        Entries = inner.Entries
            .Where(e => e.Name.Length > prefix.Length && e.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => e with { Name = e.Name[prefix.Length..] })
            .ToList();
        if (Entries.Count == 0)
            throw new ArgumentException(
                $"No tensor name starts with '{prefix}' (names look like: {string.Join(", ", inner.Entries.Take(3).Select(e => e.Name))}).", nameof(prefix));
    }

    /// <inheritdoc/>
    public string Format => _inner.Format;

    /// <inheritdoc/>
    public IReadOnlyList<CheckpointEntry> Entries { get; }

    /// <inheritdoc/>
    public Tensor Read(string name) => _inner.Read(_prefix + name);

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();
}

/// <summary>Helpers on <see cref="ICheckpointReader"/>.</summary>
public static class CheckpointReaderExtensions
{
    /// <summary>
    /// The tensors whose names start with <paramref name="prefix"/>, named without it (see
    /// <see cref="PrefixedCheckpointReader"/>); the result owns <paramref name="reader"/>, and so does this
    /// call: if no name matches, it disposes <paramref name="reader"/> before throwing, so that
    /// <c>using var r = Checkpoint.Open(path).WithoutPrefix("generator.");</c> never leaks the file.
    /// </summary>
    public static PrefixedCheckpointReader WithoutPrefix(this ICheckpointReader reader, string prefix)
    {
        try
        {
            return new PrefixedCheckpointReader(reader, prefix);
        }
        catch
        {
            reader?.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor, by name, in file order.</summary>
    public static Dictionary<string, Tensor> ReadAll(this ICheckpointReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.Entries.ToDictionary(e => e.Name, e => reader.Read(e.Name), StringComparer.Ordinal);
    }
}
