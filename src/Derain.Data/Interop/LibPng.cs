using System.Runtime.InteropServices;

namespace Derain.Data.Interop;

/// <summary>
/// libpng's simplified API (png.h, "SIMPLIFIED API", libpng 1.6). It reports errors in
/// <see cref="PngImage.Message"/> instead of longjmp, so no native frame is ever unwound through managed code.
/// </summary>
internal static partial class LibPng
{
    static LibPng() => NativeLibraries.EnsureResolver();

    internal const uint ImageVersion = 1;          // PNG_IMAGE_VERSION
    internal const uint FormatFlagAlpha = 0x01;    // PNG_FORMAT_FLAG_ALPHA
    internal const uint FormatFlagColor = 0x02;    // PNG_FORMAT_FLAG_COLOR
    internal const uint FormatFlagLinear = 0x04;   // PNG_FORMAT_FLAG_LINEAR: 16-bit samples
    internal const uint FormatFlagColormap = 0x08; // PNG_FORMAT_FLAG_COLORMAP
    internal const uint ImageWarning = 1;          // PNG_IMAGE_WARNING
    internal const uint ImageError = 2;            // PNG_IMAGE_ERROR

    /// <summary>png_image (png.h); field order and sizes are checked against the header by a test.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct PngImage
    {
        public IntPtr Opaque;          // png_controlp opaque
        public uint Version;
        public uint Width;
        public uint Height;
        public uint Format;
        public uint Flags;
        public uint ColormapEntries;
        public uint WarningOrError;
        public fixed byte Message[64];

        /// <summary>PNG_IMAGE_FAILED: the low two bits hold 2 or 3 after an error.</summary>
        public readonly bool Failed => (WarningOrError & 3) > 1;

        public readonly string MessageText()
        {
            fixed (byte* m = Message)
                return Marshal.PtrToStringUTF8((IntPtr)m) ?? "";
        }
    }

    [LibraryImport(NativeLibraries.Png, EntryPoint = "png_image_begin_read_from_memory")]
    internal static unsafe partial int BeginReadFromMemory(PngImage* image, void* memory, nuint size);

    [LibraryImport(NativeLibraries.Png, EntryPoint = "png_image_finish_read")]
    internal static unsafe partial int FinishRead(PngImage* image, void* background, void* buffer, int rowStride, void* colormap);

    [LibraryImport(NativeLibraries.Png, EntryPoint = "png_image_free")]
    internal static unsafe partial void Free(PngImage* image);

    [LibraryImport(NativeLibraries.Png, EntryPoint = "png_image_write_to_memory")]
    internal static unsafe partial int WriteToMemory(PngImage* image, void* memory, nuint* memoryBytes, int convertTo8Bit,
        void* buffer, int rowStride, void* colormap);
}
