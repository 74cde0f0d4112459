using System.CommandLine;
using System.Globalization;
using Derain.Data.Imaging;
using Derain.Data.Synthesis;
using Derain.Data.Video;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain synth</c>: makes a training set with per-frame labels from clean footage — VRDS layout (ViMP-Net),
/// time-lapse sets (MGID) or streak-only pairs (EEVRSR). See docs/synthesis.md.
/// </summary>
public static class SynthCommand
{
    /// <summary>The command; output and errors go to the given consoles (the terminal's by default).</summary>
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var input = new Option<string>("--input", "-i") { Description = "Clean video file, frame folder, image, or a folder of videos/frame folders (timelapse: a folder of photos).", Required = true };
        var outputDir = new Option<string>("--output", "-o") { Description = "Folder to create for the set (must not exist, or be empty).", Required = true };
        var preset = new Option<string>("--preset") { Description = "Rain preset: light, heavy, drops or mixed.", DefaultValueFactory = _ => "mixed" };
        var kind = new Option<string>("--kind") { Description = "vrds (gt/lq/drop/01drop/mstreak), timelapse (MGID) or streaks (EEVRSR pairs).", DefaultValueFactory = _ => "vrds" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for every random choice; the same seed rebuilds the same set bit for bit.", DefaultValueFactory = _ => 0 };
        var frames = new Option<int?>("--frames") { Description = "At most N frames per video; frames per photo (default 30) or per time-lapse scene (default 14)." };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a parameter, key=value (repeatable); `derain synth keys` lists them.",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("synth", "Synthesise rain over clean video or photos: a training set with per-frame labels and a contact sheet.")
        {
            input, outputDir, preset, kind, seed, frames, set,
        };

        // A subcommand rather than a flag, so listing the keys needs no --input/--output.
        var keysPreset = new Option<string>("--preset") { Description = "Preset whose values to show.", DefaultValueFactory = _ => "mixed" };
        var keys = new Command("keys", "List the --set keys, what they mean and their value in a preset.") { keysPreset };
        keys.SetAction(r => Guard(errors, () => ListKeys(output ?? AnsiConsole.Console, r.GetValue(keysPreset)!)));
        command.Subcommands.Add(keys);

        // Runs on the thread pool so System.CommandLine can signal Ctrl+C through the token while frames render;
        // the job stops at the next frame and removes its unfinished folder.
        command.SetAction((r, cancel) => Task.Run(() => Guard(errors, () =>
        {
            var request = SynthesisRequest.Create(r.GetValue(input)!, r.GetValue(outputDir)!, r.GetValue(kind)!, r.GetValue(preset)!,
                r.GetValue(seed), r.GetValue(frames), r.GetValue(set) ?? []);
            return Run(output ?? AnsiConsole.Console, request, cancel);
        }), CancellationToken.None));
        return command;
    }

    /// <summary>User errors become one line on the error console and exit code 1; a cancelled run exits with 130.</summary>
    private static int Guard(IAnsiConsole? errors, Func<int> action)
        => CliErrors.Run(errors, action, cancelledMessage: "synth was cancelled; no output folder was created.");

    private static int Run(IAnsiConsole console, SynthesisRequest request, CancellationToken cancel)
    {
        SynthesisSummary? summary = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("reading sources", maxValue: 1);
                var progress = new ImmediateProgress(p =>
                {
                    if (p.FramesExpected is long total) task.MaxValue = Math.Max(1, total);
                    else task.IsIndeterminate = true;
                    task.Value = p.FramesDone;
                    task.Description = Markup.Escape($"{p.Source} ({p.SourceIndex + 1}/{p.SourceCount})");
                });
                summary = SynthesisJob.Run(request, progress, cancel);
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.Description = "done";
            });
        var s = summary!;
        double perFrame = s.Frames > 0 ? s.Elapsed.TotalMilliseconds / s.Frames : 0;
        string unit = request.Kind == SynthesisKind.TimeLapse ? "scene" : "video";
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {s.Output}: {s.Sources.Count} {unit}{(s.Sources.Count == 1 ? "" : "s")}, {s.Frames} frames, {perFrame:F0} ms per frame"));
        console.WriteLine($"look at {Path.Combine(s.Output, DatasetLayout.ContactSheet)}; parameters and seed are in {DatasetLayout.Manifest}");
        return 0;
    }

    private static int ListKeys(IAnsiConsole console, string presetName)
    {
        var options = RainPresets.Get(RainPresets.Parse(presetName));
        var table = new Table().Border(TableBorder.Simple).AddColumn("key").AddColumn(Markup.Escape(presetName)).AddColumn("meaning");
        foreach (var key in RainOptionKeys.All) table.AddRow(key.Name, key.Get(options), Markup.Escape(key.Description));
        console.Write(table);
        return 0;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and lag behind).</summary>
    private sealed class ImmediateProgress(Action<SynthesisProgress> report) : IProgress<SynthesisProgress>
    {
        public void Report(SynthesisProgress value) => report(value);
    }
}
