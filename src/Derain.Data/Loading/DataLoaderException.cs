namespace Derain.Data.Loading;

/// <summary>A batch could not be made; the message names the batch, the sample and (from the inner error) the file.</summary>
public sealed class DataLoaderException : IOException
{
    public DataLoaderException(LoaderPosition position, string message, Exception inner) : base(message, inner)
        => Position = position;

    /// <summary>The batch that failed.</summary>
    public LoaderPosition Position { get; }
}
