using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Imaging;

public sealed class PngTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EightBitRoundTripIsExact(int channels)
    {
        const int w = 37, h = 23; // odd sizes catch stride mistakes
        var bytes = Samples.RandomBytes(w * h * channels, seed: channels);
        var path = _dir.File($"c{channels}.png");
        ImageFile.Write(path, Image.FromBytes(bytes, channels, h, w));

        var back = ImageFile.Read(path);
        Assert.Equal((channels, h, w), (back.Channels, back.Height, back.Width));
        Assert.Equal(bytes, back.ToBytes());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void SixteenBitRoundTripIsExact(int channels)
    {
        const int w = 29, h = 17;
        var words = Samples.RandomWords(w * h * channels, seed: 10 + channels);
        var path = _dir.File($"w{channels}.png");
        ImageFile.Write(path, Image.FromUInt16(words, channels, h, w), new ImageWriteOptions { PngBitDepth = 16 });

        var back = ImageFile.Read(path);
        var again = new ushort[words.Length];
        back.CopyToUInt16(again);
        Assert.Equal(words, again);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void SixteenBitAlphaRoundTripIsExactWhereOpaqueAndBoundedElsewhere(int channels)
    {
        const int w = 31, h = 19;
        var words = Samples.RandomWords(w * h * channels, seed: 20 + channels);
        for (int i = channels - 1; i < words.Length; i += channels * 3) words[i] = 65535; // a third opaque
        var path = _dir.File($"a{channels}.png");
        ImageFile.Write(path, Image.FromUInt16(words, channels, h, w), new ImageWriteOptions { PngBitDepth = 16 });

        var again = new ushort[words.Length];
        ImageFile.Read(path).CopyToUInt16(again);
        for (int p = 0; p < w * h; p++)
        {
            int a = words[p * channels + channels - 1];
            Assert.Equal(a, again[p * channels + channels - 1]);
            for (int c = 0; c < channels - 1; c++)
            {
                int expected = words[p * channels + c], got = again[p * channels + c];
                if (a == 65535) Assert.Equal(expected, got);
                else if (a > 0) Assert.True(Math.Abs(expected - got) <= 65535.0 / (2 * a) + 2, $"pixel {p}: {expected} vs {got} at alpha {a}");
                else Assert.Equal(0, got);
            }
        }
    }

    [Fact]
    public void WrittenPngDecodesIdenticallyInFfmpeg()
    {
        var image = Samples.Smooth(64, 40);
        var path = _dir.File("smooth.png");
        ImageFile.Write(path, image);
        Assert.Equal(image.ToBytes(), Tool.FfmpegDecode(path));
    }

    [Fact]
    public void SixteenBitPngFromFfmpegReadsItsStoredValues()
    {
        var source = _dir.File("src.png");
        ImageFile.Write(source, Samples.Smooth(48, 30));
        var wide = _dir.File("wide.png");
        Tool.Ffmpeg("-i", source, "-vf", "lutrgb=r=val*1.0", "-pix_fmt", "rgb48be", wide);

        var raw = Tool.FfmpegDecode(wide, "rgb48le");
        var expected = new ushort[raw.Length / 2];
        Buffer.BlockCopy(raw, 0, expected, 0, raw.Length);
        var got = new ushort[expected.Length];
        var image = ImageFile.Read(wide);
        Assert.Equal(3, image.Channels);
        image.CopyToUInt16(got);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void PalettePngExpandsToItsColours()
    {
        var source = _dir.File("src.png");
        ImageFile.Write(source, Samples.Smooth(40, 24));
        var palette = _dir.File("pal.png");
        Tool.Ffmpeg("-i", source, "-pix_fmt", "pal8", palette);

        var image = ImageFile.Read(palette);
        Assert.Equal(image.HasAlpha ? 4 : 3, image.Channels);
        Assert.Equal(Tool.FfmpegDecode(palette), image.ToRgb().ToBytes());
    }

    /// <summary>Vid4 city's frames declare gAMA 0.4; the stored values must come back unchanged, as OpenCV/PIL/ffmpeg give them.</summary>
    [Fact]
    public void GammaTaggedPngReadsStoredValues()
    {
        var path = TestPaths.SharedData("clean/video/vid4_city/Frame_001.png");
        Assert.Equal(Tool.FfmpegDecode(path), ImageFile.Read(path).ToBytes());
    }

    [Fact]
    public void GrayPngFromSharedDataMatchesFfmpeg()
    {
        var gray = Directory.EnumerateFiles(TestPaths.SharedData("clean/photo"), "*.png", SearchOption.AllDirectories)
            .First(f => ImageFile.Read(f).Channels == 1);
        Assert.Equal(Tool.FfmpegDecode(gray, "gray"), ImageFile.Read(gray).ToBytes());
    }
}
