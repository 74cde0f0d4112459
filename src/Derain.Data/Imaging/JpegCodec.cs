using System.Runtime.InteropServices;
using static Derain.Data.Interop.TurboJpeg;

namespace Derain.Data.Imaging;

/// <summary>
/// JPEG through libjpeg-turbo's TurboJPEG API with libjpeg's defaults (accurate integer IDCT, fancy upsampling),
/// the same decoder settings OpenCV and PIL use, so Derain reads the pixels the reference pipelines see.
/// </summary>
internal static unsafe class JpegCodec
{
    internal static ReadOnlySpan<byte> Signature => [0xFF, 0xD8, 0xFF];

    public static Image Decode(byte[] file, string path)
    {
        var handle = InitDecompress();
        if (handle == IntPtr.Zero) throw new ImageFileException(path, $"TurboJPEG could not start: {ErrorText(IntPtr.Zero)}");
        try
        {
            fixed (byte* jpeg = file)
            {
                int width, height, subsampling, colorspace;
                if (DecompressHeader3(handle, jpeg, new((uint)file.Length), &width, &height, &subsampling, &colorspace) != 0)
                    throw new ImageFileException(path, $"is not a readable JPEG (libjpeg-turbo: {ErrorText(handle)})");
                if (colorspace is ColorspaceCmyk or ColorspaceYcck)
                    throw new ImageFileException(path, "is a CMYK JPEG; only gray and colour (YCbCr/RGB) JPEGs are supported");
                int channels = colorspace == ColorspaceGray ? 1 : 3;
                long samples = (long)width * height * channels;
                if (samples > Array.MaxLength)
                    throw new ImageFileException(path, $"a {width}×{height} JPEG is too large to load");
                var buffer = new byte[samples];
                fixed (byte* pixels = buffer)
                {
                    int format = channels == 1 ? PixelFormatGray : PixelFormatRgb;
                    if (Decompress2(handle, jpeg, new((uint)file.Length), pixels, width, 0, height, format, 0) != 0)
                        CheckDecodeProblem(handle, path);
                }
                return Image.FromBytes(buffer, channels, height, width);
            }
        }
        finally
        {
            _ = Destroy(handle); // only fails for an invalid handle
        }
    }

    /// <summary>
    /// TurboJPEG returns -1 for libjpeg warnings too. Most (extraneous bytes before a marker and the like) leave a
    /// complete image that OpenCV and PIL accept silently, so they are accepted here; a premature end of data means
    /// the bottom of the picture is grey filler, so a truncated file is an error like any fatal one.
    /// </summary>
    private static void CheckDecodeProblem(IntPtr handle, string path)
    {
        var message = ErrorText(handle);
        bool truncated = message.Contains("Premature end", StringComparison.OrdinalIgnoreCase);
        if (GetErrorCode(handle) == ErrorWarning && !truncated) return;
        throw new ImageFileException(path, truncated
            ? $"is a truncated JPEG (libjpeg-turbo: {message})"
            : $"is a corrupt JPEG (libjpeg-turbo: {message})");
    }

    public static byte[] Encode(Image image, int quality, JpegSubsampling subsampling, string path)
    {
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality is 1..100");
        // JPEG has no alpha: it is dropped, as OpenCV's imwrite does.
        var source = image.HasAlpha ? WithoutAlpha(image) : image;
        var pixels = source.ToBytes();
        bool gray = source.Channels == 1;
        int format = gray ? PixelFormatGray : PixelFormatRgb;
        int sampling = gray ? SubsamplingGray : subsampling switch
        {
            JpegSubsampling.Chroma444 => Subsampling444,
            JpegSubsampling.Chroma422 => Subsampling422,
            _ => Subsampling420,
        };
        var handle = InitCompress();
        if (handle == IntPtr.Zero) throw new ImageFileException(path, $"TurboJPEG could not start: {ErrorText(IntPtr.Zero)}");
        byte* jpeg = null;
        try
        {
            CULong size = default;
            fixed (byte* src = pixels)
                if (Compress2(handle, src, source.Width, 0, source.Height, format, &jpeg, &size, sampling, quality, FlagAccurateDct) != 0)
                    throw new ImageFileException(path, $"could not be encoded as JPEG (libjpeg-turbo: {ErrorText(handle)})");
            return new ReadOnlySpan<byte>(jpeg, checked((int)size.Value)).ToArray();
        }
        finally
        {
            if (jpeg != null) Free(jpeg);
            _ = Destroy(handle); // only fails for an invalid handle
        }
    }

    private static Image WithoutAlpha(Image image)
    {
        var result = new Image(image.ColorChannels, image.Height, image.Width);
        image.Data.AsSpan(0, result.Data.Length).CopyTo(result.Data);
        return result;
    }
}
