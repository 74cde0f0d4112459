using Derain.Data.Evaluation;
using Derain.Data.Imaging;
using Derain.Data.Synthesis;
using Derain.Data.Video;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>An error the user can fix; its message says what is wrong and what to do.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>
/// The one place every command turns errors a user can cause (missing or unreadable files, corrupt or
/// unsupported data, bad arguments, ffmpeg missing) into a single "error: …" line on the error console and exit
/// code 1, never a stack trace; a cancelled run (Ctrl+C) exits with 130. Anything else is a bug and keeps its
/// stack trace.
/// </summary>
public static class CliErrors
{
    /// <summary>The error console: <paramref name="errors"/> when given (tests), else standard error.</summary>
    public static IAnsiConsole Console(IAnsiConsole? errors)
        => errors ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });

    public static int Run(IAnsiConsole? errors, Func<int> action, string? cancelledMessage = null)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException) when (cancelledMessage is not null)
        {
            Console(errors).MarkupLine("[red]error:[/] " + Markup.Escape(cancelledMessage));
            return 130;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console(errors).MarkupLine("[red]error:[/] " + Markup.Escape(e.Message));
            return 1;
        }
    }

    private static bool IsUserError(Exception e) => e is CliException or ConfigException or TrainingDivergedException or EvaluationException or ImageFileException or VideoException
        or FfmpegNotFoundException or SynthesisException or InferenceException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or NotSupportedException or ArgumentException or IOException or UnauthorizedAccessException;
}
