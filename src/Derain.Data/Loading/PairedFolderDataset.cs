using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Single-image pairs (Rain100H-style sets): a folder of rainy images and a folder of clean ones matched by file
/// stem (extensions may differ). Samples hold <c>lq</c> and <c>gt</c> as [3,H,W]. Every rainy image needs a clean
/// one and the reverse; an image pair of different sizes is an error when it is decoded.
/// </summary>
public sealed class PairedFolderDataset : IDataset
{
    private readonly List<(string Rainy, string Clean)> _pairs = [];

    public PairedFolderDataset(string rainyFolder, string cleanFolder)
    {
        var rainy = FrameListing.Images(rainyFolder);
        var clean = FrameListing.Images(cleanFolder);
        var cleanByStem = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in clean)
            if (!cleanByStem.TryAdd(Path.GetFileNameWithoutExtension(file), file))
                throw new DatasetException($"{cleanFolder}: two images named {Path.GetFileNameWithoutExtension(file)} ({Path.GetFileName(cleanByStem[Path.GetFileNameWithoutExtension(file)])}, {Path.GetFileName(file)})");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in rainy)
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            if (!cleanByStem.TryGetValue(stem, out var match))
                throw new DatasetException($"{file} has no clean image named {stem} in {cleanFolder}");
            if (!used.Add(stem))
                throw new DatasetException($"{rainyFolder}: two images named {stem}");
            _pairs.Add((file, match));
        }
        var unmatched = clean.FirstOrDefault(f => !used.Contains(Path.GetFileNameWithoutExtension(f)));
        if (unmatched is not null)
            throw new DatasetException($"{unmatched} has no rainy image named {Path.GetFileNameWithoutExtension(unmatched)} in {rainyFolder}");
    }

    /// <summary>The (rainy, clean) files in natural order of the rainy names.</summary>
    public IReadOnlyList<(string Rainy, string Clean)> Pairs => _pairs;

    public int Count => _pairs.Count;

    public Sample Get(int index, Generator rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var (rainyFile, cleanFile) = _pairs[index];
        var sample = new Sample(Path.GetFileNameWithoutExtension(rainyFile));
        try
        {
            sample.Set(DatasetLayout.Rainy, FrameDecoder.Read(rainyFile, 3));
            sample.Set(DatasetLayout.Clean, FrameDecoder.Read(cleanFile, 3));
            FrameDecoder.RequireSameSize(sample, new Dictionary<string, string>
            {
                [DatasetLayout.Rainy] = rainyFile,
                [DatasetLayout.Clean] = cleanFile,
            });
            return sample;
        }
        catch
        {
            sample.Dispose();
            throw;
        }
    }
}
