using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Derain.Data.Interop;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Imaging;

/// <summary>
/// The interop declarations against the installed C headers: a small C program (Fixtures/native/layout.c) built
/// with gcc against png.h and turbojpeg.h prints offsets, sizes and constants, and each must match C#.
/// tools/setup-deps.sh installs gcc's headers (libpng-dev, libturbojpeg0-dev).
/// </summary>
public sealed class NativeLayoutTests
{
    private static readonly Lazy<Dictionary<string, long[]>> Native = new(CompileAndRun);

    [Fact]
    public void PngImageMatchesHeader()
    {
        var n = Native.Value;
        Assert.Equal(n["png_image"][0], Unsafe.SizeOf<LibPng.PngImage>());
        Field(n, "opaque", nameof(LibPng.PngImage.Opaque), IntPtr.Size);
        Field(n, "version", nameof(LibPng.PngImage.Version), 4);
        Field(n, "width", nameof(LibPng.PngImage.Width), 4);
        Field(n, "height", nameof(LibPng.PngImage.Height), 4);
        Field(n, "format", nameof(LibPng.PngImage.Format), 4);
        Field(n, "flags", nameof(LibPng.PngImage.Flags), 4);
        Field(n, "colormap_entries", nameof(LibPng.PngImage.ColormapEntries), 4);
        Field(n, "warning_or_error", nameof(LibPng.PngImage.WarningOrError), 4);
        Field(n, "message", nameof(LibPng.PngImage.Message), 64);
        Assert.Equal(n["png_alloc_size_t"][0], (long)UIntPtr.Size); // nuint in the imports
        Assert.Equal(4, n["png_int_32"][0]);
        Assert.Equal(n["unsigned_long"][0], (long)Unsafe.SizeOf<CULong>());
    }

    [Fact]
    public void ConstantsMatchHeaders()
    {
        var n = Native.Value;
        (string, long)[] pairs =
        [
            ("PNG_IMAGE_VERSION", LibPng.ImageVersion),
            ("PNG_FORMAT_FLAG_ALPHA", LibPng.FormatFlagAlpha),
            ("PNG_FORMAT_FLAG_COLOR", LibPng.FormatFlagColor),
            ("PNG_FORMAT_FLAG_LINEAR", LibPng.FormatFlagLinear),
            ("PNG_FORMAT_FLAG_COLORMAP", LibPng.FormatFlagColormap),
            ("PNG_IMAGE_WARNING", LibPng.ImageWarning),
            ("PNG_IMAGE_ERROR", LibPng.ImageError),
            ("TJPF_RGB", TurboJpeg.PixelFormatRgb),
            ("TJPF_GRAY", TurboJpeg.PixelFormatGray),
            ("TJSAMP_444", TurboJpeg.Subsampling444),
            ("TJSAMP_422", TurboJpeg.Subsampling422),
            ("TJSAMP_420", TurboJpeg.Subsampling420),
            ("TJSAMP_GRAY", TurboJpeg.SubsamplingGray),
            ("TJCS_GRAY", TurboJpeg.ColorspaceGray),
            ("TJCS_CMYK", TurboJpeg.ColorspaceCmyk),
            ("TJCS_YCCK", TurboJpeg.ColorspaceYcck),
            ("TJERR_WARNING", TurboJpeg.ErrorWarning),
            ("TJFLAG_ACCURATEDCT", TurboJpeg.FlagAccurateDct),
        ];
        foreach (var (name, value) in pairs) Assert.True(n[name][0] == value, $"{name}: header {n[name][0]}, C# {value}");
    }

    private static void Field(Dictionary<string, long[]> n, string cName, string csName, int size)
    {
        var native = n["png_image." + cName];
        Assert.True(native[0] == (long)Marshal.OffsetOf<LibPng.PngImage>(csName), $"offset of {cName}: header {native[0]}, C# {Marshal.OffsetOf<LibPng.PngImage>(csName)}");
        Assert.True(native[1] == size, $"size of {cName}: header {native[1]}, C# {size}");
    }

    private static Dictionary<string, long[]> CompileAndRun()
    {
        var dir = Path.Combine(Path.GetTempPath(), "derain-data-tests", "layout-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var exe = Path.Combine(dir, "layout");
        var (code, _, err) = Tool.TryRun("gcc", "-std=c11", "-o", exe, TestPaths.Fixture("native/layout.c"));
        if (code != 0) throw new InvalidOperationException($"gcc could not build the layout probe (run tools/setup-deps.sh for libpng-dev and libturbojpeg0-dev): {err}");
        var lines = System.Text.Encoding.ASCII.GetString(Tool.Run(exe)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Directory.Delete(dir, recursive: true);
        return lines.Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1..].Select(long.Parse).ToArray());
    }
}
