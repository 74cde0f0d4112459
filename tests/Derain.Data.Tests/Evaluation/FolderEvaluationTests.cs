using Derain.Data.Evaluation;
using Derain.Data.Imaging;
using Derain.Data.Metrics;
using Derain.Data.Tests.Infrastructure;
using Derain.Data.Tests.Video;
using Derain.Data.Video;

namespace Derain.Data.Tests.Evaluation;

/// <summary>Folder pairs that cannot be compared give one clear message.</summary>
public sealed class FolderEvaluationTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _pred;
    private readonly string _gt;

    public FolderEvaluationTests()
    {
        _pred = _dir.Folder("pred");
        _gt = _dir.Folder("gt");
    }

    public void Dispose() => _dir.Dispose();

    private static void Frames(string folder, int count, int width = 16, int height = 12, int first = 1)
    {
        Directory.CreateDirectory(folder);
        for (int i = first; i < first + count; i++) ImageFile.Write(Path.Combine(folder, $"{i:000}.png"), Samples.Smooth(width, height));
    }

    private string Fails()
        => Assert.Throws<EvaluationException>(() => FolderEvaluation.Evaluate(_pred, _gt, new MetricOptions())).Message;

    [Fact]
    public void UnmatchedNamesAreListedBothWays()
    {
        foreach (var n in new[] { "a", "b" }) ImageFile.Write(Path.Combine(_pred, n + ".png"), Samples.Smooth(16, 16));
        foreach (var n in new[] { "a", "c" }) ImageFile.Write(Path.Combine(_gt, n + ".jpg"), Samples.Smooth(16, 16));
        var message = Fails();
        Assert.Contains("1 of the ground-truth images in " + _gt + " have no prediction in " + _pred + ": c", message);
        Assert.Contains("1 predicted images in " + _pred + " have no ground truth in " + _gt + ": b", message);
    }

    [Fact]
    public void EmptyFolder()
    {
        ImageFile.Write(Path.Combine(_gt, "a.png"), Samples.Smooth(16, 16));
        File.WriteAllText(Path.Combine(_pred, "notes.txt"), "nothing to see");
        Assert.Equal($"The prediction folder {_pred} has no images, frame folders or videos.", Fails());
    }

    [Fact]
    public void MissingFolder()
    {
        var message = Assert.Throws<EvaluationException>(() => FolderEvaluation.Evaluate(_pred, _dir.File("nope"), new MetricOptions())).Message;
        Assert.Contains("does not exist", message);
    }

    [Fact]
    public void DifferentFrameCounts()
    {
        Frames(Path.Combine(_pred, "clip"), 3);
        Frames(Path.Combine(_gt, "clip"), 2);
        Assert.Equal("Video 'clip': the prediction has 3 frames but the ground truth has 2.", Fails());
    }

    [Fact]
    public void FramesMatchedByStemInsideVideos()
    {
        Frames(Path.Combine(_pred, "clip"), 2, first: 1);
        Frames(Path.Combine(_gt, "clip"), 2, first: 2);
        var message = Fails();
        Assert.Contains("frames", message);
        Assert.Contains(": 003", message);
        Assert.Contains(": 001", message);
    }

    [Fact]
    public void DifferentSizes()
    {
        ImageFile.Write(Path.Combine(_pred, "a.png"), Samples.Smooth(16, 16));
        ImageFile.Write(Path.Combine(_gt, "a.png"), Samples.Smooth(17, 16));
        Assert.Equal($"{Path.Combine(_pred, "a.png")} is 16×16 but {Path.Combine(_gt, "a.png")} is 17×16.", Fails());
    }

    [Fact]
    public void ImagesAgainstVideos()
    {
        ImageFile.Write(Path.Combine(_pred, "clip.png"), Samples.Smooth(16, 16));
        Frames(Path.Combine(_gt, "clip"), 2);
        Assert.Contains("is videos but", Fails());
    }

    [Fact]
    public void MixedFolder()
    {
        ImageFile.Write(Path.Combine(_gt, "a.png"), Samples.Smooth(16, 16));
        Frames(Path.Combine(_gt, "clip"), 1);
        ImageFile.Write(Path.Combine(_pred, "a.png"), Samples.Smooth(16, 16));
        Assert.Contains("mixes images with videos", Fails());
    }

    [Fact]
    public void AmbiguousStems()
    {
        ImageFile.Write(Path.Combine(_pred, "a.png"), Samples.Smooth(16, 16));
        ImageFile.Write(Path.Combine(_pred, "a.jpg"), Samples.Smooth(16, 16));
        ImageFile.Write(Path.Combine(_gt, "a.png"), Samples.Smooth(16, 16));
        Assert.Contains("several entries named 'a'", Fails());
    }

    [Fact]
    public void CorruptImageNamesTheFile()
    {
        File.WriteAllText(Path.Combine(_pred, "a.png"), "not really a png");
        ImageFile.Write(Path.Combine(_gt, "a.png"), Samples.Smooth(16, 16));
        var e = Assert.Throws<ImageFileException>(() => FolderEvaluation.Evaluate(_pred, _gt, new MetricOptions()));
        Assert.Equal(Path.Combine(_pred, "a.png"), e.FilePath);
    }

    [Fact]
    public void UnreadableVideoFileIsReported()
    {
        File.WriteAllText(Path.Combine(_pred, "clip.mp4"), "not a video");
        Frames(Path.Combine(_gt, "clip"), 2);
        var e = Assert.Throws<VideoException>(() => FolderEvaluation.Evaluate(_pred, _gt, new MetricOptions()));
        Assert.Contains("cannot be read as a video", e.Message);
    }

    [Fact]
    public void VideoFileShorterThanItsGroundTruth()
    {
        Clips.Make(_dir, "pred/clip.mkv", frames: 3, size: "16x12", audio: false, codecArgs: ["-c:v", "ffv1"]);
        Frames(Path.Combine(_gt, "clip"), 4);
        Assert.Equal("Video 'clip': the prediction has 3 frames but the ground truth has 4 or more.", Fails());
    }
}
