using System.Runtime.InteropServices;

namespace Derain.Data.Interop;

/// <summary>
/// The TurboJPEG 2.x C API (turbojpeg.h) of libjpeg-turbo; only the calls Derain uses. C <c>unsigned long</c> is
/// <see cref="CULong"/> so the sizes stay right where long is 32-bit.
/// </summary>
internal static partial class TurboJpeg
{
    static TurboJpeg() => NativeLibraries.EnsureResolver();

    // enum TJPF
    internal const int PixelFormatRgb = 0;   // TJPF_RGB
    internal const int PixelFormatGray = 6;  // TJPF_GRAY
    // enum TJSAMP
    internal const int Subsampling444 = 0;   // TJSAMP_444
    internal const int Subsampling422 = 1;   // TJSAMP_422
    internal const int Subsampling420 = 2;   // TJSAMP_420
    internal const int SubsamplingGray = 3;  // TJSAMP_GRAY
    // enum TJCS
    internal const int ColorspaceGray = 2;   // TJCS_GRAY
    internal const int ColorspaceCmyk = 3;   // TJCS_CMYK
    internal const int ColorspaceYcck = 4;   // TJCS_YCCK
    // enum TJERR
    internal const int ErrorWarning = 0;     // TJERR_WARNING
    // flags
    internal const int FlagAccurateDct = 4096; // TJFLAG_ACCURATEDCT

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjInitDecompress")]
    internal static partial IntPtr InitDecompress();

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjInitCompress")]
    internal static partial IntPtr InitCompress();

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjDestroy")]
    internal static partial int Destroy(IntPtr handle);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjDecompressHeader3")]
    internal static unsafe partial int DecompressHeader3(IntPtr handle, byte* jpegBuf, CULong jpegSize,
        int* width, int* height, int* subsampling, int* colorspace);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjDecompress2")]
    internal static unsafe partial int Decompress2(IntPtr handle, byte* jpegBuf, CULong jpegSize, byte* dstBuf,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjCompress2")]
    internal static unsafe partial int Compress2(IntPtr handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat,
        byte** jpegBuf, CULong* jpegSize, int subsampling, int quality, int flags);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjBufSize")]
    internal static partial CULong BufSize(int width, int height, int subsampling);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjFree")]
    internal static unsafe partial void Free(byte* buffer);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjGetErrorStr2")]
    internal static partial IntPtr GetErrorStr2(IntPtr handle);

    [LibraryImport(NativeLibraries.TurboJpeg, EntryPoint = "tjGetErrorCode")]
    internal static partial int GetErrorCode(IntPtr handle);

    internal static string ErrorText(IntPtr handle) => Marshal.PtrToStringUTF8(GetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}
