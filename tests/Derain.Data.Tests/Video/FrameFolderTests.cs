using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;
using Derain.Data.Video;

namespace Derain.Data.Tests.Video;

public sealed class FrameFolderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Image Flat(int value, int w = 8, int h = 6) => Image.FromBytes(Enumerable.Repeat((byte)value, w * h * 3).ToArray(), 3, h, w);

    [Fact]
    public void FramesComeInNaturalOrderAndOtherFilesAreIgnored()
    {
        var folder = _dir.Folder("clip");
        foreach (var n in new[] { 10, 2, 1, 9 }) ImageFile.Write(Path.Combine(folder, $"frame_{n}.png"), Flat(n));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "ignored");
        ImageFile.Write(Path.Combine(folder, "frame_3.JPG"), Flat(3));

        using var reader = VideoReader.Open(folder, new VideoReadOptions { FolderFrameRate = new FrameRate(30000, 1001) });
        Assert.Equal(5, reader.Info.FrameCount);
        Assert.Equal(new FrameRate(30000, 1001), reader.Info.FrameRate);
        Assert.Equal(["frame_1", "frame_2", "frame_3", "frame_9", "frame_10"], reader.FrameNames);
        var firstSamples = reader.Frames().Select(f => (int)f.ToBytes()[0]).ToList();
        Assert.Equal(1, firstSamples[0]);
        Assert.Equal(2, firstSamples[1]);
        Assert.InRange(firstSamples[2], 2, 4); // the JPEG frame
        Assert.Equal([9, 10], firstSamples[3..]);
    }

    [Fact]
    public void GrayFramesBecomeRgb()
    {
        var folder = _dir.Folder("gray");
        ImageFile.Write(Path.Combine(folder, "0.png"), new Image(1, 4, 4));
        using var reader = VideoReader.Open(folder);
        Assert.Equal(3, reader.ReadFrame()!.Channels);
    }

    [Fact]
    public void EmptyFolderIsAnError()
    {
        var folder = _dir.Folder("empty");
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "no frames");
        var e = Assert.Throws<VideoException>(() => VideoReader.Open(folder));
        Assert.Equal($"{folder}: contains no PNG or JPEG frames", e.Message);
    }

    [Fact]
    public void FrameOfAnotherSizeIsAnError()
    {
        var folder = _dir.Folder("mixed");
        ImageFile.Write(Path.Combine(folder, "1.png"), Flat(1));
        ImageFile.Write(Path.Combine(folder, "2.png"), Flat(2, w: 9));
        using var reader = VideoReader.Open(folder);
        reader.ReadFrame();
        var e = Assert.Throws<VideoException>(() => reader.ReadFrame());
        Assert.Contains("frame 2.png is 9×6 but 1.png is 8×6", e.Message);
    }

    [Fact]
    public void UnreadableFrameNamesTheFile()
    {
        var folder = _dir.Folder("broken");
        ImageFile.Write(Path.Combine(folder, "1.png"), Flat(1));
        File.WriteAllText(Path.Combine(folder, "2.png"), "not a png");
        using var reader = VideoReader.Open(folder);
        reader.ReadFrame();
        var e = Assert.Throws<ImageFileException>(() => reader.ReadFrame());
        Assert.Equal(Path.Combine(folder, "2.png"), e.FilePath);
    }

    [Theory]
    [InlineData("a2", "a10", -1)]
    [InlineData("a010", "a9", 1)]
    [InlineData("Frame_001", "frame_002", -1)]
    [InlineData("00001", "1", -1)]  // equal value: the ordinal tie-break keeps the order total
    [InlineData("x", "x1", -1)]
    [InlineData("12345678901234567890", "12345678901234567891", -1)] // longer than any integer type
    public void NaturalOrderCompares(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(NaturalOrder.Instance.Compare(a, b)));
        Assert.Equal(-sign, Math.Sign(NaturalOrder.Instance.Compare(b, a)));
    }
}
