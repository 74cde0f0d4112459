using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Derain.Data.Evaluation;
using Derain.Data.Imaging;
using Derain.Data.Metrics;
using Derain.Data.Synthesis;
using Derain.Data.Video;
using Derain.Pipelines.Inference;

namespace Derain.Pipelines.Demo;

/// <summary>What <see cref="DemoRun"/> does: which clip, how much of it, which weights, where to write.</summary>
/// <param name="Clip">A clean video (the bundled dash-cam clip by default).</param>
/// <param name="Output">The folder to write; replaced when it holds an earlier demo's output.</param>
/// <param name="Weights">EEVRSR weights; null for Derain's default model.</param>
/// <param name="Frames">Frames of the clip to use (from the start).</param>
/// <param name="Seed">Seed of the rendered rain.</param>
public sealed record DemoOptions(string Clip, string Output, string? Weights = null, int Frames = 48, ulong Seed = 5);

/// <summary>The demo's measurements: quality of the rainy and the derained frames against the clean clip.</summary>
public sealed record DemoResult(string Output, int Frames, int Width, int Height, QualityScore RainyY, QualityScore DerainedY,
    QualityScore RainyRgb, QualityScore DerainedRgb, TimeSpan RainTime, TimeSpan DerainTime, TimeSpan Total);

/// <summary>
/// <c>derain demo</c>: the whole product path on a clean clip — renders near-vertical rain streaks onto it with the
/// rain synthesiser, derains the rainy frames with EEVRSR (streaming, every frame), and writes the rainy, the
/// derained and a side-by-side video, plus PSNR/SSIM of both against the clean original. Because the rain is
/// synthetic, the ground truth is exact, which is what makes the before/after numbers meaningful.
/// </summary>
public static class DemoRun
{
    /// <summary>Marker file that identifies a folder as demo output (so a rerun may replace it).</summary>
    public const string Marker = "demo.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The rain rendered onto the clip: the streak-only kind with the near-vertical setting of Derain's EEVRSR
    /// validation set (see models/eevrsr/README.md), so the default model sees the kind of rain it was trained for.
    /// </summary>
    public static IReadOnlyList<string> RainSettings { get; } =
        ["veil.density=0", "streaks.density=130", "streaks.opacity=0.22", "wind.range=10"];

    /// <summary>Runs the demo; <paramref name="stage"/> receives one line per stage, <paramref name="derain"/> the per-frame progress.</summary>
    public static DemoResult Run(DemoOptions options, IProgress<string>? stage = null, IProgress<RunProgress>? derain = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(options.Clip)) throw new InferenceException($"demo clip {options.Clip} not found; pass --clip with a clean video");
        if (options.Frames < 5) throw new InferenceException($"--frames {options.Frames} is too few; the demo needs at least 5 frames");
        string output = Path.GetFullPath(options.Output);
        if (File.Exists(output)) throw new InferenceException($"output {options.Output} is a file; name a folder for the demo's videos");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !File.Exists(Path.Combine(output, Marker)))
            throw new InferenceException($"output folder {options.Output} already holds other files; choose a new folder (a previous demo's folder is replaced)");
        var net = EevrsrModels.Load(EevrsrModels.Full, options.Weights);

        var clock = Stopwatch.StartNew();
        string parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        string partial = Path.Combine(parent, $".{Path.GetFileName(output)}.demo-partial");
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            string work = Path.Combine(partial, "frames");
            stage?.Report($"rendering rain onto the first {options.Frames} frames of {Path.GetFileName(options.Clip)}");
            var request = SynthesisRequest.Create(options.Clip, work, "streaks", "heavy", options.Seed, options.Frames, RainSettings);
            var synth = SynthesisJob.Run(request, cancel: cancel);
            string video = synth.Sources[0].Name;
            string rainy = Path.Combine(work, DatasetLayout.Rainy, video), clean = Path.Combine(work, DatasetLayout.Clean, video);
            var rainTime = clock.Elapsed;

            stage?.Report($"deraining {synth.Frames} frames with EEVRSR ({(options.Weights is null ? "Derain's default model" : options.Weights)})");
            string derained = Path.Combine(work, "derained");
            var run = VideoRestoration.Run(LumaRestorer.ForEevrsr(net), rainy, derained, OutputFormat.Png, derain, cancel);
            var derainTime = clock.Elapsed - rainTime;

            stage?.Report("measuring PSNR/SSIM against the clean clip and writing the videos");
            var yOptions = new MetricOptions(MetricConvention.Y);
            var rgbOptions = new MetricOptions(MetricConvention.Rgb);
            var rainyY = FolderEvaluation.Evaluate(rainy, clean, yOptions).Mean;
            var derainedY = FolderEvaluation.Evaluate(derained, clean, yOptions).Mean;
            var rainyRgb = FolderEvaluation.Evaluate(rainy, clean, rgbOptions).Mean;
            var derainedRgb = FolderEvaluation.Evaluate(derained, clean, rgbOptions).Mean;

            var rate = VideoReader.Open(options.Clip).Use(r => r.Info.FrameRate);
            DemoVideos.Write(Path.Combine(partial, "rainy.mp4"), rainy, rate, cancel);
            DemoVideos.Write(Path.Combine(partial, "derained.mp4"), derained, rate, cancel);
            DemoVideos.WriteSideBySide(Path.Combine(partial, "side-by-side.mp4"), rainy, derained, rate,
                string.Create(CultureInfo.InvariantCulture, $"rainy input  PSNR {rainyY.Psnr:F2} dB"),
                string.Create(CultureInfo.InvariantCulture, $"derained (EEVRSR)  PSNR {derainedY.Psnr:F2} dB"), cancel);
            Directory.Delete(work, recursive: true);

            var result = new DemoResult(output, run.Frames, run.Width, run.Height, rainyY, derainedY, rainyRgb, derainedRgb, rainTime, derainTime, clock.Elapsed);
            File.WriteAllText(Path.Combine(partial, Marker), JsonSerializer.Serialize(new
            {
                clip = options.Clip,
                frames = result.Frames,
                seed = options.Seed,
                rain = RainSettings,
                weights = options.Weights ?? EevrsrModels.DefaultModelPath,
                psnr_y = new { rainy = rainyY.Psnr, derained = derainedY.Psnr },
                ssim_y = new { rainy = rainyY.Ssim, derained = derainedY.Ssim },
                psnr_rgb = new { rainy = rainyRgb.Psnr, derained = derainedRgb.Psnr },
                ssim_rgb = new { rainy = rainyRgb.Ssim, derained = derainedRgb.Ssim },
                seconds = new { rain = rainTime.TotalSeconds, derain = derainTime.TotalSeconds, total = clock.Elapsed.TotalSeconds },
            }, Indented));
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            Directory.Move(partial, output);
            return result;
        }
        catch
        {
            try { Directory.Delete(partial, recursive: true); }
            catch (IOException) { }
            throw;
        }
    }

    private static T Use<T>(this VideoReader reader, Func<VideoReader, T> read)
    {
        using (reader) return read(reader);
    }
}
