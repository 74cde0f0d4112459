namespace Derain.Data.Imaging;

/// <summary>An image file that could not be read or written; the message names the file and the problem.</summary>
public sealed class ImageFileException : IOException
{
    public ImageFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file the problem is about.</summary>
    public string FilePath { get; }

    /// <summary>What went wrong, without the file name.</summary>
    public string Problem { get; }
}
