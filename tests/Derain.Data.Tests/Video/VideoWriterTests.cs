using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Derain.Data.Video;

namespace Derain.Data.Tests.Video;

public sealed class VideoWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<Image> Frames(int count, int w, int h)
        => Enumerable.Range(0, count).Select(i =>
        {
            var f = Samples.Smooth(w + i, h); // shifted content per frame, cropped to w
            var crop = new Image(3, h, w);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < h; y++)
                    f.Plane(c).Slice(y * (w + i) + i, w).CopyTo(crop.Plane(c).Slice(y * w, w));
            return crop;
        }).ToList();

    private static void WriteAll(string path, IReadOnlyList<Image> frames, FrameRate rate, VideoWriterOptions? options = null)
    {
        using var writer = VideoWriter.Create(path, frames[0].Width, frames[0].Height, rate, options);
        foreach (var f in frames) writer.Write(f);
        writer.Complete();
    }

    [Fact]
    public void LosslessRoundTripIsExactAndKeepsRate()
    {
        var frames = Frames(5, 33, 21); // odd size: FFV1 needs no padding
        var path = _dir.File("exact.mkv");
        WriteAll(path, frames, new FrameRate(30000, 1001), new VideoWriterOptions { Codec = VideoCodec.Lossless });

        using var reader = VideoReader.Open(path);
        Assert.Equal(new FrameRate(30000, 1001), reader.Info.FrameRate);
        Assert.Equal("ffv1", reader.Info.Codec);
        var back = reader.Frames().ToList();
        Assert.Equal(frames.Count, back.Count);
        for (int i = 0; i < frames.Count; i++) Assert.Equal(frames[i].ToBytes(), back[i].ToBytes());
    }

    [Fact]
    public void H264RoundTripHasHighPsnrAndPadsOddSizes()
    {
        var frames = Frames(6, 65, 47);
        var path = _dir.File("lossy.mp4");
        using (var writer = VideoWriter.Create(path, 65, 47, new FrameRate(25), new VideoWriterOptions { Crf = 16, Preset = "veryfast" }))
        {
            Assert.Equal((66, 48), (writer.OutputWidth, writer.OutputHeight));
            foreach (var f in frames) writer.Write(f);
            writer.Complete();
        }

        using var reader = VideoReader.Open(path);
        Assert.Equal((66, 48, 6), (reader.Info.Width, reader.Info.Height, reader.Info.FrameCount));
        Assert.Equal(new FrameRate(25), reader.Info.FrameRate);
        int i = 0;
        foreach (var frame in reader.Frames())
        {
            var a = frames[i++].ToBytes();
            var b = frame.ToBytes();
            double se = 0;
            for (int y = 0; y < 47; y++)
                for (int x = 0; x < 65 * 3; x++)
                {
                    double d = a[y * 65 * 3 + x] - b[y * 66 * 3 + x];
                    se += d * d;
                }
            double psnr = 10 * Math.Log10(255.0 * 255 / (se / (47 * 65 * 3)));
            Assert.True(psnr > 36, $"frame {i}: PSNR {psnr:F2} dB"); // 4:2:0 chroma on hard colour edges limits it
            Assert.InRange(b[(46 * 66 + 64) * 3] - b[(47 * 66 + 65) * 3], -6, 6); // padding repeats the edge (within H.264 error)
        }
    }

    [Fact]
    public void OddSizeCanBeCropped()
    {
        using var writer = VideoWriter.Create(_dir.File("c.mp4"), 65, 47, new FrameRate(25), new VideoWriterOptions { OddSize = OddSizeHandling.Crop });
        Assert.Equal((64, 46), (writer.OutputWidth, writer.OutputHeight));
    }

    [Theory]
    [InlineData("out.mp4", "aac", "-c:a aac", "aac")]          // copied
    [InlineData("out.mkv", "pcm_s16le", "-c:a pcm_s16le", "pcm_s16le")] // Matroska takes anything: copied
    [InlineData("out.mp4", "pcm_s16le", "-c:a pcm_s16le", "aac")] // MP4 cannot hold PCM: re-encoded
    public void AudioTrackIsCarriedOver(string output, string sourceCodec, string sourceArgs, string expectedCodec)
    {
        var source = Clips.Make(_dir, "source.mkv", frames: 10, codecArgs: ["-c:v", "ffv1", .. sourceArgs.Split(' ')]);
        using (var probe = VideoReader.Open(source)) Assert.Equal(sourceCodec, probe.Info.AudioCodec);

        var path = _dir.File(output);
        WriteAll(path, Frames(10, 96, 64), new FrameRate(30000, 1001), new VideoWriterOptions { AudioFrom = source, Preset = "ultrafast" });
        using var reader = VideoReader.Open(path);
        Assert.Equal(expectedCodec, reader.Info.AudioCodec);
        Assert.Equal(10, reader.Frames().Count());
    }

    [Fact]
    public void AudioFromSilentSourceWritesVideoOnly()
    {
        var silent = Clips.Make(_dir, "silent.mkv", frames: 3, audio: false, codecArgs: ["-c:v", "ffv1"]);
        var path = _dir.File("v.mkv");
        WriteAll(path, Frames(3, 96, 64), new FrameRate(25), new VideoWriterOptions { Codec = VideoCodec.Lossless, AudioFrom = silent });
        using var reader = VideoReader.Open(path);
        Assert.False(reader.Info.HasAudio);
    }

    [Fact]
    public void DisposingWithoutCompleteLeavesNothing()
    {
        var folder = _dir.Folder("out");
        var path = Path.Combine(folder, "unfinished.mp4");
        using (var writer = VideoWriter.Create(path, 32, 32, new FrameRate(25)))
            writer.Write(Samples.Smooth(32, 32));
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void CompleteLeavesOnlyTheFinishedFile()
    {
        var folder = _dir.Folder("done");
        WriteAll(Path.Combine(folder, "a.mkv"), Frames(2, 16, 16), new FrameRate(25), new VideoWriterOptions { Codec = VideoCodec.Lossless });
        Assert.Equal(["a.mkv"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void EncoderFailureIsReportedAndLeavesNothing()
    {
        var folder = _dir.Folder("failed");
        var path = Path.Combine(folder, "bad.mp4");
        var e = Assert.Throws<VideoException>(() =>
        {
            using var writer = VideoWriter.Create(path, 64, 48, new FrameRate(25), new VideoWriterOptions { Preset = "no-such-preset" });
            for (int i = 0; i < 50; i++) writer.Write(Samples.Smooth(64, 48)); // more than a pipe buffer, so a dead encoder shows
            writer.Complete();
        });
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("ffmpeg", e.Message);
        Assert.Contains("preset", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void WrongFrameSizeIsRejected()
    {
        using var writer = VideoWriter.Create(_dir.File("w.mkv"), 16, 16, new FrameRate(25), new VideoWriterOptions { Codec = VideoCodec.Lossless });
        var e = Assert.Throws<ArgumentException>(() => writer.Write(Samples.Smooth(17, 16)));
        Assert.Contains("17×16", e.Message);
    }

    [Fact]
    public void LosslessNeedsMkvOrAvi()
    {
        var e = Assert.Throws<VideoException>(() => VideoWriter.Create(_dir.File("x.mp4"), 16, 16, new FrameRate(25), new VideoWriterOptions { Codec = VideoCodec.Lossless }));
        Assert.Contains(".mkv or .avi", e.Message);
    }

    [Fact]
    public void CompleteWithoutFramesFails()
    {
        var folder = _dir.Folder("none");
        using var writer = VideoWriter.Create(Path.Combine(folder, "n.mkv"), 16, 16, new FrameRate(25), new VideoWriterOptions { Codec = VideoCodec.Lossless });
        Assert.Contains("no frames", Assert.Throws<VideoException>(writer.Complete).Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void FrameRateParsesExactly()
    {
        Assert.Equal(new FrameRate(30000, 1001), FrameRate.Parse("30000/1001"));
        Assert.Equal(new FrameRate(2997, 100), FrameRate.Parse("29.97"));
        Assert.Equal(new FrameRate(25), FrameRate.Parse("50/2"));
        Assert.Equal("24/1", new FrameRate(24).ToString());
        Assert.False(FrameRate.TryParse("0/0", out _));
        Assert.False(FrameRate.TryParse("abc", out _));
    }
}
