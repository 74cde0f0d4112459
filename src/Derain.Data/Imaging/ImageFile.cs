using System.Text;

namespace Derain.Data.Imaging;

/// <summary>Reads and writes PNG and JPEG files. Every failure is an <see cref="ImageFileException"/> naming the file.</summary>
public static class ImageFile
{
    /// <summary>File extensions Derain reads and writes as images (lower case, with the dot).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    /// <summary>True when the path's extension is one of <see cref="Extensions"/> (any case).</summary>
    public static bool HasImageExtension(string path)
        => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Reads a PNG or JPEG, recognised by its content rather than its extension.</summary>
    public static Image Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data;
        try
        {
            if (Directory.Exists(path)) throw new ImageFileException(path, "is a folder, not an image file");
            data = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e) { throw new ImageFileException(path, "file not found", e); }
        catch (DirectoryNotFoundException e) { throw new ImageFileException(path, "folder not found", e); }
        catch (UnauthorizedAccessException e) { throw new ImageFileException(path, "permission denied", e); }
        catch (IOException e) when (e is not ImageFileException) { throw new ImageFileException(path, e.Message, e); }
        return Decode(data, path);
    }

    /// <summary>Decodes PNG or JPEG bytes; <paramref name="name"/> is used in error messages.</summary>
    public static Image Decode(byte[] data, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0) throw new ImageFileException(name, "file is empty");
        if (data.AsSpan().StartsWith(PngCodec.Signature)) return PngCodec.Decode(data, name);
        if (data.AsSpan().StartsWith(JpegCodec.Signature)) return JpegCodec.Decode(data, name);
        throw new ImageFileException(name, $"is not a PNG or JPEG image ({DescribeContent(data)})");
    }

    /// <summary>Writes a PNG (.png) or JPEG (.jpg, .jpeg) through a temporary file, so a failed write never leaves a partial image.</summary>
    public static void Write(string path, Image image, ImageWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(image);
        var bytes = Encode(image, path, options);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new ImageFileException(path, $"folder {folder} does not exist");
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new ImageFileException(path, $"could not be written: {e.Message}", e);
        }
    }

    /// <summary>Encodes in the format named by <paramref name="pathOrExtension"/>'s extension.</summary>
    public static byte[] Encode(Image image, string pathOrExtension, ImageWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new ImageWriteOptions();
        var extension = Path.GetExtension(pathOrExtension).ToLowerInvariant();
        if (extension.Length == 0 && pathOrExtension.StartsWith('.')) extension = pathOrExtension.ToLowerInvariant();
        return extension switch
        {
            ".png" => PngCodec.Encode(image, options.PngBitDepth, pathOrExtension),
            ".jpg" or ".jpeg" => JpegCodec.Encode(image, options.JpegQuality, options.JpegSubsampling, pathOrExtension),
            _ => throw new ImageFileException(pathOrExtension, $"unsupported image extension '{extension}' (use .png, .jpg or .jpeg)"),
        };
    }

    /// <summary>A short guess at what a non-image file is, so the error tells the user what they passed.</summary>
    private static string DescribeContent(byte[] data)
    {
        var head = data.AsSpan(0, Math.Min(data.Length, 12));
        if (head.StartsWith("GIF8"u8)) return "it is a GIF image; convert it to PNG";
        if (head.StartsWith("BM"u8)) return "it is a BMP image; convert it to PNG";
        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8)) return "it is a TIFF image; convert it to PNG";
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return "it is a WebP image; convert it to PNG";
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8)) return "it looks like an MP4/MOV video";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return "it looks like an MKV/WebM video";
        if (data.Take(512).All(b => b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            return "it looks like text";
        return "unrecognised content starting " + Convert.ToHexString(head.Length > 8 ? head[..8] : head);
    }
}
