using System.Text.Json;
using Derain.Data.Imaging;
using Derain.Data.Video;
using Derain.NN.Tests.Infrastructure;
using Derain.Pipelines.Demo;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;

namespace Derain.Pipelines.Tests.Demo;

/// <summary>The demo end to end on a small clip with the official EEVRSR_all weights: the clean clip is the ground truth.</summary>
public sealed class DemoRunTests
{
    private static string OfficialWeights => Path.Combine(SharedData.DataPath("weights", "eevrsr", "EEVRSR_all"), "model.ckpt");

    private static string SmallClip => SharedData.DataPath("clean", "clips", "bgs_video02.avi");

    [Fact]
    public void Derained_frames_are_closer_to_the_clean_clip_and_every_video_has_every_frame()
    {
        using var dir = new TempFolder();
        string output = dir["demo"];
        var result = DemoRun.Run(new DemoOptions(SmallClip, output, OfficialWeights, Frames: 6));

        // Synthetic rain over a clean clip: the clean frames are exact ground truth, so the gain is a real measurement.
        Assert.True(result.DerainedY.Psnr > result.RainyY.Psnr + 2, $"PSNR Y {result.RainyY.Psnr:F2} → {result.DerainedY.Psnr:F2} dB");
        Assert.True(result.DerainedY.Ssim > result.RainyY.Ssim, $"SSIM Y {result.RainyY.Ssim:F4} → {result.DerainedY.Ssim:F4}");
        foreach (var (name, width) in new[] { ("rainy.mp4", 320), ("derained.mp4", 320), ("side-by-side.mp4", 640) })
        {
            using var video = VideoReader.Open(Path.Combine(output, name));
            var frames = video.Frames().ToList();
            Assert.Equal(6, frames.Count);
            Assert.Equal((width, 240), (frames[0].Width, frames[0].Height));
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, DemoRun.Marker)));
        Assert.Equal(result.DerainedY.Psnr, json.RootElement.GetProperty("psnr_y").GetProperty("derained").GetDouble(), 9);
        // Nothing else is left next to the output (the working frames were inside the partial folder).
        Assert.Equal(["demo"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_with_other_files_is_refused_and_left_alone()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir["mine"]);
        File.WriteAllText(Path.Combine(dir["mine"], "notes.txt"), "keep");
        var e = Assert.Throws<InferenceException>(() => DemoRun.Run(new DemoOptions(SmallClip, dir["mine"], OfficialWeights, Frames: 5)));
        Assert.Contains("already holds other files", e.Message);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(dir["mine"], "notes.txt")));
    }

    [Fact]
    public void Too_few_frames_and_a_missing_clip_are_user_errors()
    {
        using var dir = new TempFolder();
        Assert.Contains("at least 5 frames", Assert.Throws<InferenceException>(() => DemoRun.Run(new DemoOptions(SmallClip, dir["d"], OfficialWeights, Frames: 3))).Message);
        Assert.Contains("not found", Assert.Throws<InferenceException>(() => DemoRun.Run(new DemoOptions(dir["none.mp4"], dir["d"], OfficialWeights))).Message);
    }
}
