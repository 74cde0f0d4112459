using Derain.Data.Interop;
using static Derain.Data.Interop.LibPng;

namespace Derain.Data.Imaging;

/// <summary>
/// PNG through libpng's simplified API. Reads 1–16-bit gray, gray+alpha, RGB, RGBA and palette files (palettes
/// expand to RGB or RGBA) as their stored code values (see <see cref="PngColorChunks"/>); writes 8- or 16-bit.
/// </summary>
/// <remarks>
/// The simplified API hands 16-bit data with alpha over premultiplied and expects it premultiplied on write, so
/// 16-bit colour is divided by alpha after reading and multiplied before writing. A 16-bit RGBA round trip is
/// therefore exact only where alpha is 65535; elsewhere the error is at most 65535/(2·alpha) code values, and
/// where alpha is 0 the colour is lost (stored as 0). 8-bit alpha is straight and round-trips exactly.
/// </remarks>
internal static unsafe class PngCodec
{
    internal static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static Image Decode(byte[] file, string path)
    {
        var data = PngColorChunks.Strip(file);
        var png = new PngImage { Version = ImageVersion };
        try
        {
            fixed (byte* p = data)
            {
                if (BeginReadFromMemory(&png, p, (nuint)data.Length) == 0)
                    throw Failure(path, png, "is not a readable PNG");
                // Keep the file's own layout; a palette is expanded (the colormap flag only describes the file).
                png.Format &= ~FormatFlagColormap;
                bool sixteen = (png.Format & FormatFlagLinear) != 0;
                int channels = (int)(png.Format & (FormatFlagColor | FormatFlagAlpha)) + 1; // PNG_IMAGE_SAMPLE_CHANNELS
                int width = checked((int)png.Width), height = checked((int)png.Height);
                long samples = (long)width * height * channels;
                if (samples > Array.MaxLength)
                    throw new ImageFileException(path, $"a {width}×{height} PNG is too large to load");

                if (!sixteen)
                {
                    var buffer = new byte[samples];
                    fixed (byte* b = buffer)
                        if (FinishRead(&png, null, b, 0, null) == 0) throw Failure(path, png, "is corrupt or truncated");
                    return Image.FromBytes(buffer, channels, height, width);
                }
                var wide = new ushort[samples];
                fixed (ushort* b = wide)
                    if (FinishRead(&png, null, b, 0, null) == 0) throw Failure(path, png, "is corrupt or truncated");
                var image = Image.FromUInt16(wide, channels, height, width);
                if (image.HasAlpha) Unpremultiply(image);
                return image;
            }
        }
        catch (OverflowException)
        {
            throw new ImageFileException(path, $"PNG size {png.Width}×{png.Height} is out of range");
        }
        finally
        {
            Free(&png);
        }
    }

    public static byte[] Encode(Image image, int bitDepth, string path)
    {
        if (bitDepth is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "PNG bit depth is 8 or 16");
        uint format = image.Channels switch
        {
            1 => 0,
            2 => FormatFlagAlpha,
            3 => FormatFlagColor,
            _ => FormatFlagColor | FormatFlagAlpha,
        };
        if (bitDepth == 16) format |= FormatFlagLinear;
        var png = new PngImage { Version = ImageVersion, Width = (uint)image.Width, Height = (uint)image.Height, Format = format };

        // Worst case per png.h's PNG_IMAGE_PNG_SIZE_MAX: raw rows plus filter bytes, deflate's bound, chunk headers.
        long raw = (long)image.Data.Length * (bitDepth / 8) + image.Height;
        long capacity = raw + (raw + 7) / 8 + (raw + 63) / 64 + 11 + 12 * (raw / 8192 + 1) + 1024;
        byte[] output;
        if (bitDepth == 8)
        {
            var samples = image.ToBytes();
            fixed (byte* s = samples) output = WriteWithRetry(&png, s, capacity, path);
        }
        else
        {
            var samples = new ushort[image.Data.Length];
            (image.HasAlpha ? Premultiplied(image) : image).CopyToUInt16(samples);
            fixed (ushort* s = samples) output = WriteWithRetry(&png, s, capacity, path);
            // The simplified writer tags 16-bit output gAMA 1.0 (linear light); Derain's samples are display
            // code values like any 8-bit frame, so the tag would make colour-managed viewers show them wrongly.
            output = PngColorChunks.Strip(output);
        }
        return output;
    }

    private static byte[] WriteWithRetry(PngImage* png, void* samples, long capacity, string path)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var buffer = new byte[capacity];
            nuint size = (nuint)capacity;
            int ok;
            fixed (byte* b = buffer) ok = WriteToMemory(png, b, &size, 0, samples, 0, null);
            if (ok != 0) return buffer.AsSpan(0, (int)size).ToArray();
            // On failure libpng leaves the size untouched for a real error, or raises it to what the stream needs.
            if ((long)size <= capacity) break;
            capacity = (long)size;
            png->WarningOrError = 0;
        }
        throw Failure(path, *png, "could not be encoded as PNG");
    }

    private static void Unpremultiply(Image image)
    {
        var alpha = image.Plane(image.Channels - 1);
        for (int c = 0; c < image.ColorChannels; c++)
        {
            var plane = image.Plane(c);
            for (int i = 0; i < plane.Length; i++)
                plane[i] = alpha[i] > 0 ? Math.Min(1f, plane[i] / alpha[i]) : 0f;
        }
    }

    private static Image Premultiplied(Image image)
    {
        var copy = image.Clone();
        var alpha = copy.Plane(copy.Channels - 1);
        for (int c = 0; c < copy.ColorChannels; c++)
        {
            var plane = copy.Plane(c);
            for (int i = 0; i < plane.Length; i++) plane[i] *= Math.Clamp(alpha[i], 0f, 1f);
        }
        return copy;
    }

    private static ImageFileException Failure(string path, PngImage png, string what)
    {
        var message = png.MessageText();
        return new ImageFileException(path, message.Length == 0 ? what : $"{what} (libpng: {message})");
    }
}
