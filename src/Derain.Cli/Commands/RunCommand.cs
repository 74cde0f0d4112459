using System.CommandLine;
using System.Globalization;
using Derain.Pipelines.Inference;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Derain.Cli.Commands;

/// <summary>
/// <c>derain run</c>: removes rain from a video file or a folder of frames with EEVRSR or ViMP-Net, or from those and
/// single images with MGID, writing a video, a folder of frames or one file. Every frame is restored; see
/// <see cref="VideoRestoration"/> for the pipeline, <see cref="TemporalWindow"/> for EEVRSR's clip edges and
/// <see cref="MgidRestorer"/> for MGID's padding and tiles, <see cref="VimpnetRestorer"/> for ViMP-Net's windows and tiles.
/// </summary>
public static class RunCommand
{
    /// <summary>The command; output and errors go to the given consoles (the terminal's by default).</summary>
    public static Command Create(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "eevrsr (motion compensation + de-raining), eevrsr-derain-only (de-raining sub-net alone), mgid (single-image, memory-guided) or vimpnet (joint raindrop and rain-streak video removal).",
            DefaultValueFactory = _ => EevrsrModels.Full,
        };
        model.AcceptOnlyFromAmong([.. EevrsrModels.Names, MgidModels.Name, VimpnetModels.Name]);
        var weights = new Option<string?>("--weights", "-w")
        {
            Description = $"EEVRSR: the official TensorFlow checkpoint (…/model.ckpt or its folder) or a .safetensors; default {EevrsrModels.DefaultModelPath}. " +
                $"MGID: the official Train.py checkpoint (model_NNNNN.pth), a convAE state dict or a .safetensors; default {MgidModels.DefaultModelPath}. " +
                $"ViMP-Net: the authors' MMEditing checkpoint (.pth), a state dict or a .safetensors; default {VimpnetModels.DefaultModelPath}.",
        };
        var input = new Option<string>("--input", "-i") { Description = "Rainy video file, or a folder of PNG/JPEG frames (taken in name order); with mgid also a single image.", Required = true };
        var outputPath = new Option<string>("--output", "-o") { Description = "A video file (.mp4, .mov, .mkv), a folder to create for the frames, or for a single image one .png/.npy file.", Required = true };
        var tile = new Option<int>("--tile")
        {
            Description = "mgid: process images in tiles of N×N pixels (a multiple of 8) to bound memory; 0 = whole images. Default: whole images up to 1024×1024 pixels, 1024-px tiles with 96-px overlap above (an untiled forward needs about 3.4 GB per megapixel).",
        };
        var tileOverlap = new Option<int>("--tile-overlap")
        {
            Description = "mgid: overlap between tiles in pixels, blended with linear ramps (default 32 when --tile is given).",
        };
        var format = new Option<string?>("--format", "-f")
        {
            Description = "mp4 (H.264 video at the input's frame rate), png (8-bit), png16 (16-bit, no 8-bit rounding) or npy (float RGB and luma per frame). Default: mp4 when OUTPUT ends in .mp4, else png.",
        };
        format.AcceptOnlyFromAmong([.. OutputFormats.Names]);
        var saveMasks = new Option<bool>("--save-masks")
        {
            Description = "vimpnet: also write the raindrop mask and the streak map beside the output (OUT_mask/OUT_streak videos or folders; with npy, <stem>_stage1/_mask/_streak.npy).",
        };

        var command = new Command("run", "Remove rain from a video or frame folder with EEVRSR or ViMP-Net (rain streaks and raindrops), or from video, frames or an image with MGID (every frame is restored).")
        {
            model, weights, input, outputPath, format, tile, tileOverlap, saveMasks,
        };
        // On the thread pool so that Ctrl+C reaches the loop through the token; the partial output is then removed.
        command.SetAction((r, cancel) => Task.Run(() => CliErrors.Run(errors, () =>
        {
            string inputPath = r.GetValue(input)!, target = r.GetValue(outputPath)!;
            var chosen = r.GetValue(format) is { } name ? OutputFormats.Parse(name) : OutputFormats.ForPath(target);
            string modelName = r.GetValue(model)!;
            var console = output ?? AnsiConsole.Console;
            bool mgid = modelName == MgidModels.Name, vimpnet = modelName == VimpnetModels.Name;
            if (vimpnet && (r.GetResult(tile) is not null || r.GetResult(tileOverlap) is not null))
                throw new InferenceException("--tile and --tile-overlap apply to --model mgid only; vimpnet always uses the official 256-px tiles with 32-px overlap");
            if (!mgid && (r.GetResult(tile) is not null || r.GetResult(tileOverlap) is not null))
                throw new InferenceException($"--tile and --tile-overlap apply to --model mgid only; {modelName} processes whole frames");
            bool masks = r.GetValue(saveMasks);
            if (masks && !vimpnet)
                throw new InferenceException($"--save-masks applies to --model vimpnet only; {modelName} predicts no raindrop mask");
            VideoRestoration.CheckPaths(inputPath, target, chosen, singleImages: mgid, videoModel: vimpnet ? "ViMP-Net" : "EEVRSR");
            IReadOnlyList<string> sides = masks ? [VimpnetRestoredFrame.MaskSuffix, VimpnetRestoredFrame.StreakSuffix] : [];
            foreach (var suffix in sides.Where(_ => chosen != OutputFormat.Npy))
                VideoRestoration.CheckPaths(inputPath, VideoRestoration.SideTarget(target, suffix), chosen, videoModel: "ViMP-Net");
            IFrameRestorer restorer;
            if (vimpnet)
            {
                restorer = new VimpnetRestorer(VimpnetModels.Load(r.GetValue(weights)), keepMaps: masks);
            }
            else if (mgid)
            {
                // Without --tile the restorer picks by image size (whole up to 1024², 1024-px tiles above) so a large photo
                // does not exhaust memory; --tile 0 asks for whole images whatever their size.
                int tileSize = r.GetResult(tile) is not null ? r.GetValue(tile) : MgidRestorer.AutoTile;
                int overlap = r.GetResult(tileOverlap) is not null ? r.GetValue(tileOverlap) : tileSize > 0 ? Math.Min(32, tileSize / 2) : 0;
                var net = MgidModels.Load(r.GetValue(weights), out bool memoryFromFile);
                // The bundled MGID model is a short training run whose PSNR is below the rainy input's on its held-out
                // set (models/mgid/README.md); say so rather than let a user take its output for MGID's quality.
                if (r.GetValue(weights) is null)
                    console.MarkupLine("[yellow]note:[/] " + Markup.Escape($"Derain's default MGID model ({MgidModels.DefaultModelPath}) is a short training run and does not yet beat the rainy input's PSNR on its held-out set (models/mgid/README.md); pass --weights with a trained MGID checkpoint for MGID's published quality."));
                if (!memoryFromFile)
                    console.MarkupLine("[yellow]warning:[/] " + Markup.Escape("the weights hold no memory_items; MGID runs with a random initial memory, not the trained one."));
                restorer = new MgidRestorer(net, tileSize, overlap);
            }
            else
            {
                restorer = LumaRestorer.ForEevrsr(EevrsrModels.Load(modelName, r.GetValue(weights)));
            }
            return Run(console, restorer, inputPath, target, chosen, sides, cancel);
        }, cancelledMessage: "run was cancelled; no output was written."), CancellationToken.None));
        return command;
    }

    private static int Run(IAnsiConsole console, IFrameRestorer restorer, string input, string target, OutputFormat format, IReadOnlyList<string> sides, CancellationToken cancel)
    {
        RunSummary summary;
        if (console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
            summary = RunWithProgressBar(console, restorer, input, target, format, sides, cancel);
        else
            summary = VideoRestoration.Run(restorer, input, target, format, sides, new PlainProgress(console), cancel);

        if (summary.InputProblem is { } problem)
            console.MarkupLine("[yellow]warning:[/] " + Markup.Escape($"the input ended early ({problem}); every frame that could be decoded was restored."));
        Line(console, string.Create(CultureInfo.InvariantCulture,
            $"wrote {summary.Output} ({format.Name()}): {summary.Frames} frame{(summary.Frames == 1 ? "" : "s")} of {summary.Width}×{summary.Height} in {summary.Elapsed.TotalSeconds:F1} s ({summary.Frames / Math.Max(1e-9, summary.Elapsed.TotalSeconds):F2} frames/s)"));
        return 0;
    }

    private static RunSummary RunWithProgressBar(IAnsiConsole console, IFrameRestorer restorer, string input, string target, OutputFormat format, IReadOnlyList<string> sides, CancellationToken cancel)
    {
        RunSummary? summary = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new FramesPerSecondColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("derain", maxValue: 1);
                var progress = new ImmediateProgress(p =>
                {
                    if (p.FramesExpected is int total) task.MaxValue = Math.Max(1, total);
                    else task.IsIndeterminate = true;
                    task.Value = Math.Min(p.FramesDone, task.MaxValue);
                    task.Description = $"frame {p.FramesDone}{(p.FramesExpected is int n ? "/" + n : "")}";
                });
                summary = VideoRestoration.Run(restorer, input, target, format, sides, progress, cancel);
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.Description = "done";
            });
        return summary!;
    }

    /// <summary>A plain line, not wrapped at the console's width (a path or log line stays whole in a pipe).</summary>
    private static void Line(IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);

    /// <summary>Frames per second over the whole run so far.</summary>
    private sealed class FramesPerSecondColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            double seconds = task.ElapsedTime?.TotalSeconds ?? 0;
            return new Text(seconds > 0 && task.Value > 0 ? string.Create(CultureInfo.InvariantCulture, $"{task.Value / seconds:F2} frames/s") : "– frames/s");
        }
    }

    /// <summary>
    /// Progress for logs and pipes (no cursor movement): a line every ten seconds and at the end, with the rate and
    /// the time left.
    /// </summary>
    internal sealed class PlainProgress(IAnsiConsole console) : IProgress<RunProgress>
    {
        private TimeSpan _next = TimeSpan.FromSeconds(10);

        public void Report(RunProgress p)
        {
            bool last = p.FramesExpected is int total && p.FramesDone >= total;
            if (p.FramesDone == 0 || (p.Elapsed < _next && !last)) return;
            _next = p.Elapsed + TimeSpan.FromSeconds(10);
            string of = p.FramesExpected is int n ? $"/{n}" : "";
            string eta = p.Remaining is { } left ? $", {left:hh\\:mm\\:ss} left" : "";
            Line(console, string.Create(CultureInfo.InvariantCulture, $"frame {p.FramesDone}{of}: {p.FramesPerSecond:F2} frames/s{eta}"));
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and lag behind).</summary>
    private sealed class ImmediateProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
