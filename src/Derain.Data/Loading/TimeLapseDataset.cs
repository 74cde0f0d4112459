using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// Time-lapse pairs for MGID's self-supervised training, from the layout <c>derain synth --kind timelapse</c> writes
/// (<c>{gt,lq}/&lt;scene&gt;/%08d.png</c>: one still scene per folder, independent rain in every frame). Sample i is
/// frame a = i of the set's frames in scene order, paired with a different frame b of the same scene drawn from the
/// sample's generator (MGID uses all pairs; drawing b keeps an epoch at one visit per frame). Keys: <c>lq1</c>,
/// <c>lq2</c> [3,H,W], and when a gt folder exists <c>gt1</c>, <c>gt2</c> (each frame's own clean view, which differs
/// by camera jitter and lighting) — unless <c>readClean: false</c>, which self-supervised training uses so that the clean
/// frames are neither decoded nor within reach. Scenes need at least two frames.
/// </summary>
public sealed class TimeLapseDataset : IDataset
{
    private readonly List<(string Name, List<string> Rainy, List<string>? Clean)> _scenes = [];
    private readonly List<(int Scene, int Frame)> _frames = [];

    /// <param name="root">The set's folder (lq/ and optionally gt/).</param>
    /// <param name="readClean">Read gt1, gt2 when the set has them.</param>
    public TimeLapseDataset(string root, bool readClean = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var lqRoot = Path.Combine(root, DatasetLayout.Rainy);
        if (!Directory.Exists(lqRoot)) throw new DatasetException($"{root}: no '{DatasetLayout.Rainy}' folder (a time-lapse set has lq and optionally gt)");
        var gtRoot = Path.Combine(root, DatasetLayout.Clean);
        HasClean = readClean && Directory.Exists(gtRoot);
        foreach (var name in FrameListing.SubFolders(lqRoot))
        {
            var lqFolder = Path.Combine(lqRoot, name);
            var rainy = FrameListing.Images(lqFolder);
            if (rainy.Count < 2) throw new DatasetException($"{lqFolder}: a time-lapse scene needs at least two frames, found {rainy.Count}");
            List<string>? clean = null;
            if (HasClean)
            {
                var gtFolder = Path.Combine(gtRoot, name);
                if (!Directory.Exists(gtFolder)) throw new DatasetException($"{root}: scene '{name}' is in {DatasetLayout.Rainy} but not in {DatasetLayout.Clean}");
                clean = FrameListing.Images(gtFolder);
                FrameListing.RequireSameStems(lqFolder, rainy, gtFolder, clean);
            }
            for (int f = 0; f < rainy.Count; f++) _frames.Add((_scenes.Count, f));
            _scenes.Add((name, rainy, clean));
        }
    }

    /// <summary>True when clean frames are read (gt1, gt2 in every sample).</summary>
    public bool HasClean { get; }

    public int Count => _frames.Count;

    public Sample Get(int index, Generator rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        ArgumentNullException.ThrowIfNull(rng);
        var (s, a) = _frames[index];
        var (name, rainy, clean) = _scenes[s];
        // Uniform over the other frames: draw from n-1 and skip a.
        int b = rng.NextInt(rainy.Count - 1);
        if (b >= a) b++;
        var sample = new Sample($"{name}/{Path.GetFileNameWithoutExtension(rainy[a])}+{Path.GetFileNameWithoutExtension(rainy[b])}");
        var firstFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            Add(sample, firstFiles, "lq1", rainy[a]);
            Add(sample, firstFiles, "lq2", rainy[b]);
            if (clean is not null)
            {
                Add(sample, firstFiles, "gt1", clean[a]);
                Add(sample, firstFiles, "gt2", clean[b]);
            }
            FrameDecoder.RequireSameSize(sample, firstFiles);
            return sample;
        }
        catch
        {
            sample.Dispose();
            throw;
        }
    }

    private static void Add(Sample sample, Dictionary<string, string> firstFiles, string key, string file)
    {
        firstFiles[key] = file;
        sample.Set(key, FrameDecoder.Read(file, 3));
    }
}
