namespace Derain.Cli.Commands;

/// <summary>An error the user can fix; its message says what is wrong and what to do.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>
/// Turns the errors a user can cause (missing or unreadable files, corrupt or unsupported data, bad
/// arguments) into one line on stderr and exit code 1, never a stack trace. Anything else is a bug and
/// keeps its stack trace.
/// </summary>
public static class CliErrors
{
    public static int Run(Func<int> action, TextWriter? errors = null)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is CliException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                      or NotSupportedException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            (errors ?? Console.Error).WriteLine($"derain: {e.Message}");
            return 1;
        }
    }
}
