using System.Diagnostics;

namespace Derain.Data.Video;

/// <summary>ffmpeg or ffprobe is not installed; the message says how to install it.</summary>
public sealed class FfmpegNotFoundException(string message) : Exception(message);

/// <summary>Finds the ffmpeg and ffprobe executables on PATH and starts them with Derain's common arguments.</summary>
internal static class FfmpegTools
{
    private static readonly Lazy<string> FfmpegPath = new(() => Locate("ffmpeg", Environment.GetEnvironmentVariable("PATH")));
    private static readonly Lazy<string> FfprobePath = new(() => Locate("ffprobe", Environment.GetEnvironmentVariable("PATH")));

    public static string Ffmpeg => FfmpegPath.Value;

    public static string Ffprobe => FfprobePath.Value;

    /// <summary>The first executable <paramref name="name"/> in the folders of <paramref name="searchPath"/>.</summary>
    internal static string Locate(string name, string? searchPath)
    {
        foreach (var dir in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? [name + ".exe"] : new[] { name })
            {
                var path = Path.Combine(dir, candidate);
                if (File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0))
                    return path;
            }
        }
        throw new FfmpegNotFoundException(
            $"{name} was not found on PATH. Derain reads and writes video with the ffmpeg and ffprobe programs: " +
            "install them with 'sudo apt-get install ffmpeg' (Debian/Ubuntu), 'brew install ffmpeg' (macOS) " +
            "or 'winget install ffmpeg' (Windows), or run tools/setup-deps.sh from the Derain repository.");
    }

    /// <summary>A start description with redirected streams; arguments are passed one by one (no shell quoting).</summary>
    public static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, bool redirectInput)
    {
        var psi = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>
    /// A local path as an explicit file: URL, so names that start with '-' or contain "proto:" are never taken
    /// for options or network protocols.
    /// </summary>
    public static string FileUrl(string path) => "file:" + Path.GetFullPath(path);

    /// <summary>The last few meaningful lines of ffmpeg's error output, for messages.</summary>
    public static string Summarise(string stderr, int maxLines = 3)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = lines.Distinct().TakeLast(maxLines);
        var text = string.Join("; ", tail);
        return text.Length == 0 ? "no message" : text;
    }
}
