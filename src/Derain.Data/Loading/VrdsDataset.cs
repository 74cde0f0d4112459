using Derain.Data.Synthesis;
using Derain.Tensors;

namespace Derain.Data.Loading;

/// <summary>
/// A VRDS-layout set (<c>{gt,lq,drop,01drop,mstreak}/&lt;video&gt;/%08d.png</c>, as <c>derain synth</c> writes it and
/// ViMP-Net reads it; streak sets have only gt, lq and mstreak). Every run of <see cref="ClipLength"/> consecutive
/// frames of every video is one sample (stride 1), with tensors [T,C,H,W]: gt, lq and drop RGB, 01drop and mstreak
/// single-channel. gt and lq are required; the other keys are used when their folder exists. The listing is
/// checked up front (same videos and frame names under every key, videos at least T long); sizes are checked when
/// a clip is decoded. VRDS's test split keeps its frames in <c>testlq</c> and <c>testgt</c>: name those folders with the
/// rainyFolder and cleanFolder arguments (the keys stay lq and gt). Training that needs less can say so and decode
/// less: <c>keys</c> limits the label folders read (gt and lq are always read), and <c>centreCleanOnly</c> makes gt
/// the centre frame alone ([1,C,H,W]), the target of networks that restore one frame from a window (EEVRSR).
/// </summary>
public sealed class VrdsDataset : IDataset
{
    /// <summary>Label folders in the order samples hold them, with their channel counts.</summary>
    private static readonly (string Key, int Channels)[] KnownKeys =
    [
        (DatasetLayout.Clean, 3), (DatasetLayout.Rainy, 3), (DatasetLayout.DropsOnly, 3),
        (DatasetLayout.DropMask, 1), (DatasetLayout.StreakMap, 1),
    ];

    private readonly List<Video> _videos = [];
    private readonly List<(int Video, int Start)> _clips = [];

    public VrdsDataset(string root, int clipLength = 5, string rainyFolder = DatasetLayout.Rainy, string cleanFolder = DatasetLayout.Clean,
        IReadOnlyCollection<string>? keys = null, bool centreCleanOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(rainyFolder);
        ArgumentException.ThrowIfNullOrEmpty(cleanFolder);
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(clipLength, 1);
        Root = root;
        ClipLength = clipLength;
        if (!Directory.Exists(root)) throw new DatasetException($"{root}: folder not found");
        string FolderOf(string key) => key switch
        {
            DatasetLayout.Rainy => rainyFolder,
            DatasetLayout.Clean => cleanFolder,
            _ => key,
        };
        foreach (var required in new[] { cleanFolder, rainyFolder })
            if (!Directory.Exists(Path.Combine(root, required)))
                throw new DatasetException($"{root}: no '{required}' folder (a VRDS set has gt and lq, optionally drop, 01drop, mstreak)");
        if (keys?.FirstOrDefault(k => KnownKeys.All(known => known.Key != k)) is string unknown)
            throw new ArgumentException($"'{unknown}' is not a VRDS key (use {string.Join(", ", KnownKeys.Select(k => k.Key))}).", nameof(keys));
        Keys = KnownKeys.Where(k => Directory.Exists(Path.Combine(root, FolderOf(k.Key))))
            .Where(k => keys is null || keys.Contains(k.Key) || k.Key is DatasetLayout.Clean or DatasetLayout.Rainy).ToArray();
        CentreCleanOnly = centreCleanOnly;

        var lqRoot = Path.Combine(root, rainyFolder);
        var names = FrameListing.SubFolders(lqRoot);
        foreach (var (key, _) in Keys)
        {
            var keyFolder = FolderOf(key);
            var keyNames = FrameListing.SubFolders(Path.Combine(root, keyFolder));
            var extra = keyNames.Except(names, StringComparer.Ordinal).Concat(names.Except(keyNames, StringComparer.Ordinal)).FirstOrDefault();
            if (extra is not null)
                throw new DatasetException($"{root}: video '{extra}' is in {(keyNames.Contains(extra) ? keyFolder : rainyFolder)} but not in {(keyNames.Contains(extra) ? rainyFolder : keyFolder)}");
        }

        foreach (var name in names)
        {
            var lqFolder = Path.Combine(lqRoot, name);
            var lqFiles = FrameListing.Images(lqFolder);
            var files = new List<string>[Keys.Count];
            for (int k = 0; k < Keys.Count; k++)
            {
                var folder = Path.Combine(root, FolderOf(Keys[k].Key), name);
                files[k] = Keys[k].Key == DatasetLayout.Rainy ? lqFiles : FrameListing.Images(folder);
                FrameListing.RequireSameStems(lqFolder, lqFiles, folder, files[k]);
            }
            if (lqFiles.Count < clipLength)
                throw new DatasetException($"{lqFolder}: {lqFiles.Count} frames, fewer than the clip length {clipLength}");
            int video = _videos.Count;
            _videos.Add(new Video(name, files));
            for (int start = 0; start + clipLength <= lqFiles.Count; start++) _clips.Add((video, start));
        }
    }

    public string Root { get; }

    /// <summary>Frames per clip (T).</summary>
    public int ClipLength { get; }

    /// <summary>True when gt holds only the centre frame of each clip.</summary>
    public bool CentreCleanOnly { get; }

    /// <summary>The keys present (and asked for), with channel counts, in sample order.</summary>
    public IReadOnlyList<(string Key, int Channels)> Keys { get; }

    /// <summary>Video names in natural order.</summary>
    public IEnumerable<string> Videos => _videos.Select(v => v.Name);

    public int Count => _clips.Count;

    public Sample Get(int index, Generator rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var (v, start) = _clips[index];
        var video = _videos[v];
        var sample = new Sample($"{video.Name}/{Path.GetFileNameWithoutExtension(video.Files[0][start])}");
        var firstFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            for (int k = 0; k < Keys.Count; k++)
            {
                bool centre = CentreCleanOnly && Keys[k].Key == DatasetLayout.Clean;
                var files = centre ? video.Files[k].GetRange(start + ClipLength / 2, 1) : video.Files[k].GetRange(start, ClipLength);
                firstFiles[Keys[k].Key] = files[0];
                sample.Set(Keys[k].Key, FrameDecoder.ReadClip(files, Keys[k].Channels));
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

    /// <summary>A video's frame files per key (index as in <see cref="Keys"/>).</summary>
    private sealed record Video(string Name, List<string>[] Files);
}
