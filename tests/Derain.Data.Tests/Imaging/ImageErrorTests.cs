using Derain.Data.Imaging;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Imaging;

/// <summary>Bad files give one <see cref="ImageFileException"/> whose message names the file and the problem.</summary>
public sealed class ImageErrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Png() => WriteEncoded("good.png", ImageFile.Encode(Samples.Smooth(64, 48), ".png"));

    private string WriteEncoded(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ImageFileException ReadFails(string path, string expectedProblem)
    {
        var e = Assert.Throws<ImageFileException>(() => ImageFile.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expectedProblem, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void MissingFile() => ReadFails(_dir.File("nope.png"), "file not found");

    [Fact]
    public void MissingFolder() => ReadFails(Path.Combine(_dir.Path, "no-such-dir", "a.png"), "folder not found");

    [Fact]
    public void FolderInsteadOfFile() => ReadFails(_dir.Folder("frames.png"), "is a folder");

    [Fact]
    public void EmptyFile() => ReadFails(WriteEncoded("empty.png", []), "empty");

    [Fact]
    public void TextFileNamedPng() => ReadFails(WriteEncoded("notes.png", "hello, this is not a picture\n"u8.ToArray()), "looks like text");

    [Fact]
    public void VideoFileNamedJpg()
    {
        byte[] mp4Head = [0, 0, 0, 0x20, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m', 0, 0, 2, 0];
        ReadFails(WriteEncoded("clip.jpg", mp4Head), "MP4");
    }

    [Fact]
    public void TruncatedPng()
    {
        var bytes = File.ReadAllBytes(Png());
        ReadFails(WriteEncoded("cut.png", bytes[..(bytes.Length / 2)]), "corrupt or truncated");
    }

    [Fact]
    public void CorruptPngData()
    {
        var bytes = File.ReadAllBytes(Png());
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 16; i++) bytes[i] ^= 0x5A; // inside IDAT: CRC and zlib both fail
        var e = ReadFails(WriteEncoded("bad.png", bytes), "PNG");
        Assert.Contains("libpng", e.Message);
    }

    [Fact]
    public void PngWithBrokenHeader()
    {
        var bytes = File.ReadAllBytes(Png());
        bytes[20] ^= 0xFF; // IHDR width: the header CRC no longer matches
        ReadFails(WriteEncoded("header.png", bytes), "PNG");
    }

    [Fact]
    public void TruncatedJpeg()
    {
        var bytes = ImageFile.Encode(Samples.Smooth(64, 48), ".jpg");
        ReadFails(WriteEncoded("cut.jpg", bytes[..(bytes.Length * 2 / 3)]), "truncated JPEG");
    }

    /// <summary>Bytes between the last scan and the end marker only make libjpeg warn; OpenCV and PIL read such files, so do we.</summary>
    [Fact]
    public void JpegWithExtraneousBytesBeforeEndMarkerStillReads()
    {
        var bytes = ImageFile.Encode(Samples.Smooth(64, 48), ".jpg");
        Assert.Equal([0xFF, 0xD9], bytes[^2..]);
        byte[] padded = [.. bytes[..^2], 1, 2, 3, 4, 0xFF, 0xD9];
        var clean = ImageFile.Decode(bytes).ToBytes();
        Assert.Equal(clean, ImageFile.Read(WriteEncoded("extra.jpg", padded)).ToBytes());
    }

    [Fact]
    public void JpegSignatureWithGarbage()
    {
        var bytes = new byte[400];
        new Random(3).NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF;
        ReadFails(WriteEncoded("garbage.jpg", bytes), "JPEG");
    }

    [Fact]
    public void UnsupportedWriteExtension()
    {
        var e = Assert.Throws<ImageFileException>(() => ImageFile.Write(_dir.File("out.bmp"), Samples.Smooth(8, 8)));
        Assert.Contains(".bmp", e.Message);
    }

    [Fact]
    public void WriteIntoMissingFolder()
    {
        var path = Path.Combine(_dir.Path, "missing", "out.png");
        var e = Assert.Throws<ImageFileException>(() => ImageFile.Write(path, Samples.Smooth(8, 8)));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void SuccessfulWriteLeavesNoTemporaryFiles()
    {
        ImageFile.Write(_dir.File("a.png"), Samples.Smooth(8, 8));
        ImageFile.Write(_dir.File("a.png"), Samples.Smooth(9, 9)); // overwrite
        Assert.Equal(["a.png"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        Assert.Equal(9, ImageFile.Read(_dir.File("a.png")).Width);
    }
}
