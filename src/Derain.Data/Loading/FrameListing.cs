using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Data.Loading;

/// <summary>Lists image files and sub-folders in natural order and matches lists of frames by file stem.</summary>
internal static class FrameListing
{
    /// <summary>The PNG/JPEG files of <paramref name="folder"/> in natural order; an error when there are none.</summary>
    public static List<string> Images(string folder)
    {
        if (!Directory.Exists(folder)) throw new DatasetException($"{folder}: folder not found");
        var files = Directory.EnumerateFiles(folder).Where(ImageFile.HasImageExtension)
            .OrderBy(Path.GetFileName, NaturalOrder.Instance).ToList();
        if (files.Count == 0) throw new DatasetException($"{folder}: contains no PNG or JPEG images");
        return files;
    }

    /// <summary>Sub-folder names of <paramref name="folder"/> in natural order; an error when there are none.</summary>
    public static List<string> SubFolders(string folder)
    {
        if (!Directory.Exists(folder)) throw new DatasetException($"{folder}: folder not found");
        var names = Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .OrderBy(n => n, NaturalOrder.Instance).ToList();
        if (names.Count == 0) throw new DatasetException($"{folder}: contains no sub-folders");
        return names;
    }

    /// <summary>
    /// Checks that <paramref name="other"/> holds exactly the stems of <paramref name="reference"/> (same count, same
    /// names in the same order), so frame i of one key is frame i of the other; the error names the first difference.
    /// </summary>
    public static void RequireSameStems(string referenceFolder, List<string> reference, string otherFolder, List<string> other)
    {
        var referenceStems = reference.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var otherStems = other.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        // Name the stray file itself, rather than the first position where the sorted lists drift apart.
        var stray = other.FirstOrDefault(f => !referenceStems.Contains(Path.GetFileNameWithoutExtension(f)));
        if (stray is not null)
            throw new DatasetException($"{Path.GetFileName(stray)} in {otherFolder} has no frame of the same name in {referenceFolder}");
        var missing = reference.FirstOrDefault(f => !otherStems.Contains(Path.GetFileNameWithoutExtension(f)));
        if (missing is not null)
            throw new DatasetException($"{otherFolder} has {other.Count} frames but {referenceFolder} has {reference.Count}: none named {Path.GetFileNameWithoutExtension(missing)}");
        if (reference.Count != other.Count)
            throw new DatasetException($"{otherFolder} has {other.Count} frames but {referenceFolder} has {reference.Count} (names repeat with different extensions)");
    }
}
