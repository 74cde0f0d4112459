using System.Reflection;
using System.Runtime.InteropServices;

namespace Derain.Data.Interop;

/// <summary>
/// Maps the short library names used in <c>[LibraryImport]</c> to the versioned sonames Debian installs, so the
/// runtime packages (libpng16-16, libturbojpeg0) suffice: the unversioned <c>.so</c> links come only with the
/// -dev packages. A missing library fails with a message that says which package to install.
/// </summary>
internal static class NativeLibraries
{
    internal const string Png = "derain-libpng";
    internal const string TurboJpeg = "derain-libturbojpeg";

    private static readonly (string Name, string[] Candidates, string Package)[] Map =
    [
        (Png, ["libpng16.so.16", "libpng16.so", "libpng16.16.dylib", "libpng16.dylib", "libpng16.dll"], "libpng16-16"),
        (TurboJpeg, ["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib", "turbojpeg.dll"], "libturbojpeg0"),
    ];

    private static int _registered;

    /// <summary>Installs the resolver once for this assembly; the interop classes call it from their static constructors.</summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        foreach (var (libName, candidates, package) in Map)
        {
            if (libName != name) continue;
            foreach (var candidate in candidates)
                if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle)) return handle;
            throw new DllNotFoundException(
                $"{candidates[0]} could not be loaded. Install it with 'apt-get install {package}' (or run tools/setup-deps.sh).");
        }
        return IntPtr.Zero;
    }
}
