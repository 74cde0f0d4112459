using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Derain.Pipelines.Training;
using Derain.Pipelines.Training.Config;
using Derain.Pipelines.Training.Logging;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain train --config FILE [--set key.path=value …]</c>: trains a network as a YAML experiment file describes it
/// (see configs/eevrsr.yaml), continuing from the latest checkpoint when there is one. Ctrl+C (or SIGTERM) finishes
/// the current iteration, saves a checkpoint and exits with 130; a second Ctrl+C quits at once.
/// </summary>
public static class TrainCommand
{
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var config = new Option<string>("--config", "-c") { Description = "The experiment file (YAML), e.g. configs/eevrsr.yaml.", Required = true };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a value of the file, key.path=value written as YAML (repeatable), e.g. train.total_iter=20 name=smoke.",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("train", "Train a de-raining network from a YAML experiment file: checkpoints, exact resume, validation, logs and a plot.")
        {
            config, set,
        };
        // A synchronous action: Ctrl+C is handled here (save, then stop), not by the command-line library's timeout.
        // The training loop turns Ctrl+C into a checkpoint; only rendering a missing dataset ends by cancellation.
        command.SetAction(r => CliErrors.Run(errors, () =>
        {
            var experiment = ExperimentFile.Load(r.GetValue(config)!, r.GetValue(set) ?? []);
            return Run(output ?? AnsiConsole.Console, experiment);
        }, cancelledMessage: "train was cancelled while rendering a dataset; no half-written dataset folder was left."));
        return command;
    }

    private static int Run(IAnsiConsole console, ExperimentConfig experiment)
    {
        var reporter = new ConsoleReporter(console, experiment.Network.ValidationChannel);
        using var stop = new CancellationTokenSource();
        void Stop()
        {
            if (stop.IsCancellationRequested) return;
            reporter.Message("stopping: finishing this iteration and saving a checkpoint (Ctrl+C again quits at once)");
            stop.Cancel();
        }
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (stop.IsCancellationRequested) return; // the second Ctrl+C terminates
            e.Cancel = true;
            Stop();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Stop();
        });
        try
        {
            reporter.Message($"experiment {experiment.Name}: {experiment.ExperimentDirectory}");
            var result = new Trainer(experiment, reporter).Run(stop.Token);
            if (result.Status == TrainingStatus.Completed && double.IsFinite(result.SecondsPerIteration))
                reporter.Message(string.Create(CultureInfo.InvariantCulture, $"{result.SecondsPerIteration:F3} s/iteration on average in this run"));
            return result.Status == TrainingStatus.Interrupted ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>
    /// One plain line per event, written straight to the console's writer: never wrapped or coloured, so a terminal
    /// and a captured log (nohup, CI) read the same.
    /// </summary>
    private sealed class ConsoleReporter(IAnsiConsole console, string plane) : ITrainingReporter
    {
        private readonly TextWriter _out = console.Profile.Out.Writer;

        public void Message(string text) => WriteLine(text);

        private void WriteLine(string line)
        {
            _out.WriteLine(line);
            _out.Flush();
        }

        public void Train(LogEntry e, long totalIterations)
        {
            var terms = e.Values.Where(v => v.Key.StartsWith("loss_", StringComparison.Ordinal)).Select(v => $"{v.Key[5..]} {Number(v.Value)}");
            int width = totalIterations.ToString(CultureInfo.InvariantCulture).Length;
            string eta = e["eta_s"] is double s ? Duration(s) : "?";
            WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"iter {e.Iteration.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{totalIterations}  epoch {e["epoch"]:F0}  lr {e["lr"]:0.00e+00}  " +
                $"loss {Number(e["loss"])} ({string.Join(", ", terms)})  {e["s_per_iter"]:F3} s/it  ETA {eta}"));
        }

        public void Validation(LogEntry e, bool isBest)
        {
            var parts = new List<string>();
            if (e["psnr"] is double p) parts.Add(string.Create(CultureInfo.InvariantCulture, $"PSNR {p:F2} dB (input {e["input_psnr"]:F2})"));
            if (e["ssim"] is double s) parts.Add(string.Create(CultureInfo.InvariantCulture, $"SSIM {s:F4} (input {e["input_ssim"]:F4})"));
            string line = string.Create(CultureInfo.InvariantCulture, $"val  iter {e.Iteration}: {string.Join(", ", parts)} on {plane}, {e["val_clips"]:F0} clips, {e["val_s"]:F1} s");
            WriteLine(isBest ? line + " (best so far)" : line);
        }

        private static string Number(double? v) => v is double d ? d.ToString("0.000e+00", CultureInfo.InvariantCulture) : "nan";

        private static string Duration(double seconds)
        {
            if (!double.IsFinite(seconds)) return "?";
            var t = TimeSpan.FromSeconds(Math.Round(seconds));
            return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
        }
    }
}
