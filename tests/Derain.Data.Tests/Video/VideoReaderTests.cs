using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Derain.Data.Video;

namespace Derain.Data.Tests.Video;

public sealed class VideoReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Mp4ReportsSizeExactRateCountAndAudio()
    {
        var path = Clips.Mp4(_dir, frames: 12);
        using var reader = VideoReader.Open(path);
        var info = reader.Info;
        Assert.Equal((96, 64), (info.Width, info.Height));
        Assert.Equal(new FrameRate(30000, 1001), info.FrameRate);
        Assert.Equal(12, info.FrameCount);
        Assert.Equal("h264", info.Codec);
        Assert.Equal("aac", info.AudioCodec);
        Assert.False(info.VariableFrameRate);

        var first = reader.ReadFrame()!;
        Assert.Equal((3, 64, 96), (first.Channels, first.Height, first.Width));
        Assert.Equal(Tool.FfmpegDecode(path), first.ToBytes());
        Assert.Equal(11, reader.Frames().Count());
        Assert.Equal(12, reader.FramesRead);
        Assert.Null(reader.ReadFrame());
        Assert.Null(reader.Shortfall);
    }

    [Theory]
    [InlineData("clip.avi", "mpeg4")]
    [InlineData("clip.mkv", "ffv1")]
    [InlineData("clip.mov", "mjpeg")]
    public void OtherContainersAndCodecs(string name, string codec)
    {
        var path = Clips.Make(_dir, name, frames: 7, audio: false, codecArgs: ["-c:v", codec]);
        using var reader = VideoReader.Open(path);
        Assert.Equal(codec, reader.Info.Codec);
        Assert.Equal(7, reader.Frames().Count());
        Assert.Null(reader.Shortfall);
        if (codec == "ffv1") Assert.Null(reader.Info.FrameCount); // Matroska does not list a count
    }

    /// <summary>Phone footage stores a display rotation; ffmpeg applies it, so the reported size must be the rotated one.</summary>
    [Fact]
    public void DisplayRotationSwapsTheFrameSize()
    {
        var upright = Clips.Mp4(_dir, "upright.mp4", frames: 3, audio: false);
        var rotated = _dir.File("rotated.mp4");
        Tool.Ffmpeg("-i", upright, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated);
        using var reader = VideoReader.Open(rotated);
        Assert.Equal((64, 96), (reader.Info.Width, reader.Info.Height));
        var frames = reader.Frames().ToList();
        Assert.Equal(3, frames.Count);
        Assert.All(frames, f => Assert.Equal((64, 96), (f.Width, f.Height)));
        Assert.Null(reader.Shortfall);
    }

    [Fact]
    public void LongSharedClipStreamsAndStopsEarly()
    {
        using var reader = VideoReader.Open(TestPaths.SharedData("clean/clips/bgs_video02.avi"));
        Assert.Equal((320, 240, 750), (reader.Info.Width, reader.Info.Height, reader.Info.FrameCount));
        Assert.Equal(new FrameRate(25), reader.Info.FrameRate);
        Assert.Equal(3, reader.Frames().Take(3).Count()); // dispose then ends the decoder mid-stream
    }

    [Fact]
    public void SixteenBitFramesComeBackExactly()
    {
        var path = _dir.File("deep.mkv");
        var frame = Samples.Smooth(40, 30);
        var words = new ushort[frame.Data.Length];
        for (int i = 0; i < words.Length; i++) words[i] = (ushort)(i * 7919 % 65536);
        var deep = Image.FromUInt16(words, 3, 30, 40);
        using (var writer = VideoWriter.Create(path, 40, 30, new FrameRate(24), new VideoWriterOptions { Codec = VideoCodec.Lossless, SixteenBit = true }))
        {
            writer.Write(deep);
            writer.Complete();
        }
        using var reader = VideoReader.Open(path, new VideoReadOptions { SixteenBit = true });
        var back = new ushort[words.Length];
        reader.ReadFrame()!.CopyToUInt16(back);
        Assert.Equal(words, back);
    }

    [Fact]
    public void TruncatedMp4KeepsDecodedFramesAndReportsShortfall()
    {
        var path = Clips.Mp4(_dir, frames: 30, audio: false);
        var bytes = File.ReadAllBytes(path);
        var cut = _dir.File("cut.mp4");
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 6 / 10)]);

        using var reader = VideoReader.Open(cut);
        Assert.Equal(30, reader.Info.FrameCount);
        var frames = reader.Frames().ToList();
        Assert.InRange(frames.Count, 1, 29);
        Assert.All(frames, f => Assert.Equal(96, f.Width));
        Assert.NotNull(reader.Shortfall);
        Assert.Contains($"decoded {frames.Count} of the 30 frames", reader.Shortfall);
    }

    [Fact]
    public void Mp4CutBeforeItsIndexIsUnreadable()
    {
        var path = Clips.Mp4(_dir, frames: 30, audio: false, faststart: false); // index (moov) at the end
        var bytes = File.ReadAllBytes(path);
        var cut = _dir.File("cut.mp4");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<VideoException>(() => VideoReader.Open(cut));
        Assert.StartsWith(cut + ": cannot be read as a video", e.Message);
        Assert.Contains("moov atom not found", e.Message);
    }

    [Fact]
    public void NonVideoFileIsRejected()
    {
        var path = _dir.File("notes.mp4");
        File.WriteAllText(path, "this is not a video\n");
        var e = Assert.Throws<VideoException>(() => VideoReader.Open(path));
        Assert.Contains("cannot be read as a video", e.Message);
        Assert.Contains("Invalid data", e.Message);
    }

    [Fact]
    public void MissingAndEmptyFiles()
    {
        Assert.Contains("file not found", Assert.Throws<VideoException>(() => VideoReader.Open(_dir.File("nope.mp4"))).Message);
        File.WriteAllBytes(_dir.File("empty.mp4"), []);
        Assert.Contains("file is empty", Assert.Throws<VideoException>(() => VideoReader.Open(_dir.File("empty.mp4"))).Message);
    }

    [Fact]
    public void MissingFfmpegSaysHowToInstallIt()
    {
        var e = Assert.Throws<FfmpegNotFoundException>(() => FfmpegTools.Locate("ffmpeg", _dir.Folder("empty-bin")));
        Assert.Contains("ffmpeg was not found", e.Message);
        Assert.Contains("apt-get install ffmpeg", e.Message);
    }
}
