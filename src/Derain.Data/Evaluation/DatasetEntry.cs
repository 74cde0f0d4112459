using Derain.Data.Imaging;
using Derain.Data.Video;

namespace Derain.Data.Evaluation;

/// <summary>What one name in a prediction or ground-truth folder refers to.</summary>
internal enum EntryKind
{
    Image,
    FrameFolder,
    VideoFile,
}

/// <summary>An image, frame folder or video file in an evaluation folder, keyed by its stem.</summary>
internal sealed record DatasetEntry(string Name, string Path, EntryKind Kind)
{
    public bool IsVideo => Kind != EntryKind.Image;

    /// <summary>
    /// The entries of <paramref name="folder"/>: images, subfolders (frame folders) and video files, keyed by stem.
    /// Hidden entries and other files are ignored; two entries with one stem are an error.
    /// </summary>
    public static List<DatasetEntry> List(string folder, string role)
    {
        RequireFolder(folder, role);
        var entries = new List<DatasetEntry>();
        foreach (var dir in Directory.EnumerateDirectories(folder))
            if (!IsHidden(dir)) entries.Add(new DatasetEntry(System.IO.Path.GetFileName(dir), dir, EntryKind.FrameFolder));
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (IsHidden(file)) continue;
            var stem = System.IO.Path.GetFileNameWithoutExtension(file);
            if (ImageFile.HasImageExtension(file)) entries.Add(new DatasetEntry(stem, file, EntryKind.Image));
            else if (VideoReader.HasVideoExtension(file)) entries.Add(new DatasetEntry(stem, file, EntryKind.VideoFile));
        }
        if (entries.Count == 0)
            throw new EvaluationException($"The {role} folder {folder} has no images, frame folders or videos.");
        var duplicate = entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new EvaluationException($"The {role} folder {folder} has several entries named '{duplicate.Key}': {string.Join(", ", duplicate.Select(e => System.IO.Path.GetFileName(e.Path)))}.");
        entries.Sort((a, b) => NaturalOrder.Instance.Compare(a.Name, b.Name));
        return entries;
    }

    public static void RequireFolder(string folder, string role)
    {
        if (!Directory.Exists(folder))
            throw new EvaluationException(File.Exists(folder) ? $"The {role} path {folder} is a file; give a folder." : $"The {role} folder {folder} does not exist.");
    }

    private static bool IsHidden(string path) => System.IO.Path.GetFileName(path).StartsWith('.');
}
