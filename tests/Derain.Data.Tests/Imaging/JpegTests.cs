using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Imaging;

/// <summary>
/// JPEG decoding against ffmpeg's own decoder (its IDCT and colour code are independent of libjpeg-turbo's).
/// Two IDCTs may differ by one level per Y/Cb/Cr sample; the JFIF colour equations then scale a chroma
/// difference by up to 1.772, so only luma and gray samples can be held to ±1.
/// </summary>
public sealed class JpegTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GrayJpegDecodesToOneChannelWithinOneLevelOfFfmpeg()
    {
        var path = _dir.File("gray.jpg");
        ImageFile.Write(path, Samples.Smooth(96, 64, channels: 1), new ImageWriteOptions { JpegQuality = 90 });

        var ours = ImageFile.Read(path);
        Assert.Equal((1, 64, 96), (ours.Channels, ours.Height, ours.Width));
        var ffmpeg = Tool.FfmpegDecode(path, "gray");
        Assert.Equal(ffmpeg.Length, ours.Data.Length);
        Assert.All(ours.ToBytes().Zip(ffmpeg), p => Assert.InRange(p.First - p.Second, -1, 1));
    }

    /// <summary>
    /// A 4:4:4 colour JPEG against ffmpeg's decoded Y/Cb/Cr planes put through the JFIF equations (T.871):
    /// luma recomputed from our RGB within ±1 (its rounding adds at most 0.5), each colour channel within ±2.
    /// </summary>
    [Fact]
    public void ColourJpegAgreesWithFfmpegPlanes()
    {
        var path = _dir.File("colour444.jpg");
        ImageFile.Write(path, Samples.Smooth(96, 64), new ImageWriteOptions { JpegQuality = 90, JpegSubsampling = JpegSubsampling.Chroma444 });
        var ours = ImageFile.Read(path).ToBytes();
        var planes = Tool.Ffmpeg("-i", path, "-f", "rawvideo", "-pix_fmt", "yuvj444p", "-");
        int n = 96 * 64;
        Assert.Equal(3 * n, planes.Length);
        for (int i = 0; i < n; i++)
        {
            double y = planes[i], cb = planes[n + i] - 128.0, cr = planes[2 * n + i] - 128.0;
            double[] rgb = [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb];
            for (int c = 0; c < 3; c++) Assert.InRange(ours[3 * i + c] - Math.Round(rgb[c]), -2, 2);
            Assert.InRange(Luma(ours, i) - y, -1.5, 1.5);
        }
    }

    /// <summary>A real 4:2:0 camera frame: decoders upsample chroma differently, but luma is never resampled.</summary>
    [Fact]
    public void SubsampledCameraJpegLumaAgreesWithFfmpeg()
    {
        var path = TestPaths.SharedData("clean/video/davis_bus/00000.jpg");
        var image = ImageFile.Read(path);
        Assert.Equal((3, 480, 854), (image.Channels, image.Height, image.Width));
        var ours = image.ToBytes();
        var ffmpegLuma = Tool.Ffmpeg("-i", path, "-f", "rawvideo", "-pix_fmt", "yuvj420p", "-").AsSpan(0, 480 * 854).ToArray();
        int compared = 0;
        for (int i = 0; i < ffmpegLuma.Length; i++)
        {
            // Where a channel clipped, luma cannot be recovered from RGB.
            if (ours[3 * i] is 0 or 255 || ours[3 * i + 1] is 0 or 255 || ours[3 * i + 2] is 0 or 255) continue;
            Assert.InRange(Luma(ours, i) - ffmpegLuma[i], -1.5, 1.5);
            compared++;
        }
        Assert.True(compared > ffmpegLuma.Length * 0.9, $"only {compared} unclipped pixels");
    }

    [Fact]
    public void EncodeThenDecodeStaysClose()
    {
        var image = Samples.Smooth(80, 50);
        var path = _dir.File("q100.jpg");
        ImageFile.Write(path, image, new ImageWriteOptions { JpegQuality = 100, JpegSubsampling = JpegSubsampling.Chroma444 });
        var before = image.ToBytes();
        var after = ImageFile.Read(path).ToBytes();
        Assert.All(before.Zip(after), p => Assert.InRange(p.First - p.Second, -4, 4));
        Assert.True(before.Zip(after).Average(p => Math.Abs(p.First - p.Second)) < 0.8);
    }

    [Fact]
    public void AlphaIsDroppedWhenWritingJpeg()
    {
        var rgba = new Image(4, 16, 16);
        rgba.Plane(0).Fill(1f);
        rgba.Plane(3).Fill(0.5f);
        var path = _dir.File("rgba.jpg");
        ImageFile.Write(path, rgba);
        var back = ImageFile.Read(path);
        Assert.Equal(3, back.Channels);
        Assert.InRange(back.ToBytes()[0], 250, 255);
    }

    private static double Luma(byte[] rgb, int pixel) => 0.299 * rgb[3 * pixel] + 0.587 * rgb[3 * pixel + 1] + 0.114 * rgb[3 * pixel + 2];
}
