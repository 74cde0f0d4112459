using System.Text.Json;
using Derain.Cli.Commands;
using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Derain.Data.Tests.Metrics;
using Derain.Data.Video;
using Spectre.Console;

namespace Derain.Data.Tests.Evaluation;

/// <summary><c>derain eval</c> run in-process on small folder pairs; scores are held to the numpy reference.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        IAnsiConsole Console(TextWriter w) => AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(w),
        });
        int code = EvalCommand.Create(Console(output), Console(errors)).Parse(args).Invoke();
        return (code, output.ToString(), errors.ToString());
    }

    private static JsonElement Reference(string name, string convention)
        => ReferenceMetricsTests.Reference.RootElement.GetProperty("cases").EnumerateArray()
            .First(c => c.GetProperty("name").GetString() == name && c.GetProperty("convention").GetString() == convention);

    [Fact]
    public void ImagePairsMatchTheReferenceAndNameTheConvention()
    {
        var pred = _dir.Folder("pred");
        var gt = _dir.Folder("gt");
        for (int i = 0; i < 4; i++)
        {
            File.Copy(TestPaths.SharedData($"pairs/raindrop_examples/rain/{i}_rain.png"), Path.Combine(pred, $"{i}.png"));
            File.Copy(TestPaths.SharedData($"pairs/raindrop_examples/clean/{i}_clean.png"), Path.Combine(gt, $"{i}.png"));
        }
        var json = _dir.File("scores.json");
        var csv = _dir.File("scores.csv");

        var (code, output, errors) = Run("--pred", pred, "--gt", gt, "--convention", "y", "--json", json, "--csv", csv);
        Assert.True(code == 0, errors);
        Assert.Contains("Convention: y — MATLAB rgb2ycbcr luma", output);
        Assert.Contains("mean of 4 images", output);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("y", doc.RootElement.GetProperty("convention").GetString());
        var items = doc.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["0", "1", "2", "3"], items.Select(i => i.GetProperty("name").GetString()));
        double sum = 0;
        for (int i = 0; i < 4; i++)
        {
            var reference = Reference($"raindrop_{i}", "y");
            Assert.Equal(reference.GetProperty("psnr").GetDouble(), items[i].GetProperty("psnr").GetDouble(), 1e-6);
            Assert.Equal(reference.GetProperty("ssim").GetDouble(), items[i].GetProperty("ssim").GetDouble(), 1e-9);
            sum += reference.GetProperty("psnr").GetDouble();
            Assert.Contains(reference.GetProperty("psnr").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture), output);
        }
        Assert.Equal(sum / 4, doc.RootElement.GetProperty("mean").GetProperty("psnr").GetDouble(), 1e-6);

        var lines = File.ReadAllLines(csv);
        Assert.Equal("name,frames,psnr,ssim,convention,crop", lines[0]);
        Assert.StartsWith("(mean),4,", lines[^1]);
        Assert.EndsWith(",y,0", lines[^1]);
    }

    /// <summary>
    /// Two videos of degraded Vid4 frames: per-video means, then the mean of videos, as the reference computes them.
    /// One prediction is a frame folder, the other a lossless video file, so both matching paths are covered.
    /// </summary>
    [Fact]
    public void VideoFoldersAverageVideosThenDataset()
    {
        var pred = _dir.Folder("pred");
        var gt = _dir.Folder("gt");
        var walkFrames = new List<Image>();
        foreach (var (video, source, frames) in new[] { ("city", "vid4_city/Frame_{0:000}.png", 3), ("walk", "vid4_walk/Frame_{0:00}.png", 2) })
        {
            var gtVideo = Directory.CreateDirectory(Path.Combine(gt, video)).FullName;
            var predVideo = video == "city" ? Directory.CreateDirectory(Path.Combine(pred, video)).FullName : null;
            for (int i = 1; i <= frames; i++)
            {
                var file = TestPaths.SharedData("clean/video/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, source, i));
                File.Copy(file, Path.Combine(gtVideo, Path.GetFileName(file)));
                var degraded = Degrade.Apply(ImageFile.Read(file));
                if (predVideo is not null) ImageFile.Write(Path.Combine(predVideo, Path.GetFileName(file)), degraded);
                else walkFrames.Add(degraded);
            }
        }
        using (var writer = VideoWriter.Create(Path.Combine(pred, "walk.mkv"), walkFrames[0].Width, walkFrames[0].Height, new FrameRate(25),
                   new VideoWriterOptions { Codec = VideoCodec.Lossless }))
        {
            foreach (var f in walkFrames) writer.Write(f);
            writer.Complete();
        }

        var json = _dir.File("v.json");
        var (code, output, errors) = Run("--pred", pred, "--gt", gt, "--json", json);
        Assert.True(code == 0, errors);
        Assert.Contains("mean of 2 videos", output);
        Assert.Contains("VRDS protocol", output);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var reference = ReferenceMetricsTests.Reference.RootElement;
        foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            var name = item.GetProperty("name").GetString()!;
            Assert.Equal(name == "city" ? 3 : 2, item.GetProperty("frames").GetInt32());
            Assert.Equal(reference.GetProperty("videos").GetProperty(name).GetProperty("psnr").GetDouble(), item.GetProperty("psnr").GetDouble(), 1e-6);
            Assert.Equal(reference.GetProperty("videos").GetProperty(name).GetProperty("ssim").GetDouble(), item.GetProperty("ssim").GetDouble(), 1e-9);
        }
        var mean = doc.RootElement.GetProperty("mean");
        Assert.Equal(reference.GetProperty("dataset").GetProperty("psnr").GetDouble(), mean.GetProperty("psnr").GetDouble(), 1e-6);
        Assert.Equal(reference.GetProperty("dataset").GetProperty("ssim").GetDouble(), mean.GetProperty("ssim").GetDouble(), 1e-9);
        Assert.Equal(5, mean.GetProperty("frames").GetInt32());
    }

    [Fact]
    public void IdenticalImagesReportInfinity()
    {
        var pred = _dir.Folder("p");
        var gt = _dir.Folder("g");
        ImageFile.Write(Path.Combine(pred, "a.png"), Samples.Smooth(20, 20));
        ImageFile.Write(Path.Combine(gt, "a.png"), Samples.Smooth(20, 20));
        var json = _dir.File("inf.json");
        var (code, output, _) = Run("--pred", pred, "--gt", gt, "--convention", "y-full", "--json", json);
        Assert.Equal(0, code);
        Assert.Contains("inf", output);
        Assert.Contains("\"psnr\": \"Infinity\"", File.ReadAllText(json));
    }

    [Fact]
    public void ErrorsGoToTheErrorConsoleWithExitCodeOne()
    {
        var pred = _dir.Folder("p");
        var gt = _dir.Folder("g");
        ImageFile.Write(Path.Combine(pred, "a.png"), Samples.Smooth(20, 20));
        ImageFile.Write(Path.Combine(gt, "b.png"), Samples.Smooth(20, 20));
        var (code, output, errors) = Run("--pred", pred, "--gt", gt);
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.StartsWith("error: Names do not match", errors);
    }

    [Fact]
    public void UnknownConventionIsRejectedByTheParser()
    {
        var (code, _, _) = Run("--pred", _dir.Path, "--gt", _dir.Path, "--convention", "ycbcr");
        Assert.NotEqual(0, code);
    }
}
