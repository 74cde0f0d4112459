namespace Derain.Data.Video;

/// <summary>A video (or frame folder) that could not be read or written; the message names the file and the problem.</summary>
public sealed class VideoException : IOException
{
    public VideoException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The video file or frame folder concerned.</summary>
    public string FilePath { get; }

    /// <summary>What went wrong, without the path.</summary>
    public string Problem { get; }
}
