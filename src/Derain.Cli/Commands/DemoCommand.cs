using System.CommandLine;
using System.Globalization;
using Derain.Pipelines.Demo;
using Derain.Pipelines.Inference;
using Spectre.Console;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain demo</c>: rain rendered onto the bundled clean dash-cam clip, removed again with EEVRSR, and measured
/// against the clean original (see <see cref="DemoRun"/>).
/// </summary>
public static class DemoCommand
{
    /// <summary>The bundled clip, relative to the repository root (Udacity CarND-LaneLines-P1, MIT licence).</summary>
    public static string BundledClip { get; } = Path.Combine("assets", "demo", "udacity_solidWhiteRight.mp4");

    /// <summary>The command; output and errors go to the given consoles (the terminal's by default).</summary>
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var outputDir = new Option<string>("--output", "-o") { Description = "Folder for the videos and demo.json (a previous demo's folder is replaced).", DefaultValueFactory = _ => "demo-output" };
        var frames = new Option<int>("--frames") { Description = "Frames of the clip to use, from its start.", DefaultValueFactory = _ => 48 };
        var weights = new Option<string?>("--weights", "-w") { Description = $"EEVRSR weights (default: Derain's model, {EevrsrModels.DefaultModelPath}); e.g. the official EEVRSR_all checkpoint." };
        var clip = new Option<string?>("--clip") { Description = $"A clean video to put rain on (default: the bundled {BundledClip})." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the rendered rain.", DefaultValueFactory = _ => 5 };
        var command = new Command("demo", "Render rain onto a clean dash-cam clip, derain it with EEVRSR, and compare both with the clean clip (PSNR/SSIM, side-by-side video).")
        {
            outputDir, frames, weights, clip, seed,
        };
        command.SetAction((r, cancel) => Task.Run(() => CliErrors.Run(errors, () =>
        {
            var console = output ?? AnsiConsole.Console;
            string clipPath = r.GetValue(clip) ?? BundledClipPath();
            var options = new DemoOptions(clipPath, r.GetValue(outputDir)!, r.GetValue(weights), r.GetValue(frames), r.GetValue(seed));
            var stage = new ImmediateLines(console);
            var result = DemoRun.Run(options, stage, new RunCommand.PlainProgress(console), cancel);
            Report(console, result);
            return 0;
        }, cancelledMessage: "demo was cancelled; no output was written."), CancellationToken.None));
        return command;
    }

    private static string BundledClipPath()
    {
        string? root = EevrsrModels.FindRepositoryRoot();
        string? path = root is null ? null : Path.Combine(root, BundledClip);
        if (path is null || !File.Exists(path))
            throw new CliException($"the bundled demo clip {BundledClip} was not found (Derain runs outside its repository?); pass --clip with a clean video");
        return path;
    }

    private static void Report(IAnsiConsole console, DemoResult r)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("against the clean clip").AddColumn(new TableColumn("PSNR Y (dB)").RightAligned()).AddColumn(new TableColumn("SSIM Y").RightAligned())
            .AddColumn(new TableColumn("PSNR RGB (dB)").RightAligned()).AddColumn(new TableColumn("SSIM RGB").RightAligned());
        table.AddRow("rainy input", F(r.RainyY.Psnr, 2), F(r.RainyY.Ssim, 4), F(r.RainyRgb.Psnr, 2), F(r.RainyRgb.Ssim, 4));
        table.AddRow("derained (EEVRSR)", F(r.DerainedY.Psnr, 2), F(r.DerainedY.Ssim, 4), F(r.DerainedRgb.Psnr, 2), F(r.DerainedRgb.Ssim, 4));
        console.Write(table);
        Line(console, string.Create(CultureInfo.InvariantCulture,
            $"{r.Frames} frames of {r.Width}×{r.Height}: rain {r.RainTime.TotalSeconds:F0} s, deraining {r.DerainTime.TotalSeconds:F0} s, total {r.Total.TotalSeconds:F0} s"));
        Line(console, $"wrote {Path.Combine(r.Output, "side-by-side.mp4")} (rainy | derained), rainy.mp4, derained.mp4 and {DemoRun.Marker}");
    }

    private static string F(double v, int digits) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static void Line(IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);

    /// <summary>Stage lines written as they happen.</summary>
    private sealed class ImmediateLines(IAnsiConsole console) : IProgress<string>
    {
        public void Report(string value) => Line(console, value);
    }
}
