namespace Derain.Data.Loading;

/// <summary>A dataset that cannot be listed or a sample that cannot be read; the message names the folder or file.</summary>
public sealed class DatasetException : IOException
{
    public DatasetException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
