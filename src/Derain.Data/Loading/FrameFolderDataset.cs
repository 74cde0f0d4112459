using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// A video stored as a folder of numbered frames (natural order), one frame per sample for inference or validation:
/// <c>lq</c> [3,H,W], and <c>gt</c> when a clean folder with the same frame names is given. Sample names are the
/// frame stems, so outputs can be written under the same names. The loader keeps order when not shuffling.
/// </summary>
public sealed class FrameFolderDataset : IDataset
{
    private readonly List<string> _rainy;
    private readonly List<string>? _clean;

    public FrameFolderDataset(string rainyFolder, string? cleanFolder = null)
    {
        _rainy = FrameListing.Images(rainyFolder);
        if (cleanFolder is not null)
        {
            _clean = FrameListing.Images(cleanFolder);
            FrameListing.RequireSameStems(rainyFolder, _rainy, cleanFolder, _clean);
        }
    }

    public int Count => _rainy.Count;

    /// <summary>Frame files in reading order.</summary>
    public IReadOnlyList<string> Files => _rainy;

    public Sample Get(int index, Generator rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var sample = new Sample(Path.GetFileNameWithoutExtension(_rainy[index]));
        try
        {
            sample.Set(DatasetLayout.Rainy, FrameDecoder.Read(_rainy[index], 3));
            if (_clean is not null)
            {
                sample.Set(DatasetLayout.Clean, FrameDecoder.Read(_clean[index], 3));
                FrameDecoder.RequireSameSize(sample, new Dictionary<string, string>
                {
                    [DatasetLayout.Rainy] = _rainy[index],
                    [DatasetLayout.Clean] = _clean[index],
                });
            }
            return sample;
        }
        catch
        {
            sample.Dispose();
            throw;
        }
    }
}
