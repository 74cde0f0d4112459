using Derain.Data.Imaging;
using Derain.Data.Synthesis;
using Derain.Data.Tests.Infrastructure;

namespace Derain.Data.Tests.Synthesis;

/// <summary>Whole runs on small generated inputs: folder layout, file names, label formats, reproducibility, failure cleanup.</summary>
public sealed class SynthesisJobTests : IDisposable
{
    private const int W = 256, H = 144;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A frame folder of <paramref name="count"/> PNGs (the scene panning right by a pixel per frame).</summary>
    private string FrameFolder(string name, int count, int width = W, int height = H)
    {
        var folder = _dir.Folder(name);
        var scene = SynthTestFrames.Scene(width + count, height);
        for (int k = 0; k < count; k++)
        {
            var frame = new Image(3, height, width);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < height; y++)
                    scene.AsSpan(c * (width + count) * height + y * (width + count) + k, width).CopyTo(frame.Plane(c).Slice(y * width, width));
            ImageFile.Write(Path.Combine(folder, $"frame_{k + 1}.png"), frame);
        }
        return folder;
    }

    private SynthesisSummary Run(string input, string output, string kind = "vrds", string preset = "mixed", ulong seed = 1, int? frames = null, params string[] sets)
        => SynthesisJob.Run(SynthesisRequest.Create(input, output, kind, preset, seed, frames, sets));

    private static Dictionary<string, byte[]> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    [Fact]
    public void VrdsSetHasTheLoaderLayoutAndLabelFormats()
    {
        var input = FrameFolder("clip", 4);
        var output = Path.Combine(_dir.Path, "set");
        var summary = Run(input, output);

        Assert.Equal(4, summary.Frames);
        Assert.Equal(["01drop", "drop", "gt", "lq", "mstreak"], Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var folder in new[] { "gt", "lq", "drop", "01drop", "mstreak" })
        {
            Assert.Equal(["clip"], Directory.GetDirectories(Path.Combine(output, folder)).Select(Path.GetFileName));
            Assert.Equal(["00000000.png", "00000001.png", "00000002.png", "00000003.png"],
                Directory.GetFiles(Path.Combine(output, folder, "clip")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        // One row for the one video: five 240-px tiles (gt, lq, drop, 01drop, mstreak) under a header line.
        var sheet = ImageFile.Read(Path.Combine(output, "contact-sheet.png"));
        Assert.Equal(4 + 5 * (240 + 4), sheet.Width);
        Assert.Equal(4 + (7 * 2 + 4) + (int)Math.Round(240.0 * H / W) + 4, sheet.Height);
        Assert.True(File.Exists(Path.Combine(output, "synthesis.json")));
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".*"));

        var mask = ImageFile.Read(Path.Combine(output, "01drop", "clip", "00000002.png"));
        Assert.Equal(1, mask.Channels);
        Assert.All(mask.Data, v => Assert.True(v is 0f or 1f));
        Assert.Equal(1, ImageFile.Read(Path.Combine(output, "mstreak", "clip", "00000002.png")).Channels);
        // gt is the input frame, sample for sample; lq is not.
        var gt = ImageFile.Read(Path.Combine(output, "gt", "clip", "00000002.png"));
        Assert.Equal(ImageFile.Read(Path.Combine(input, "frame_3.png")).Data, gt.Data);
        Assert.NotEqual(gt.Data, ImageFile.Read(Path.Combine(output, "lq", "clip", "00000002.png")).Data);
    }

    [Fact]
    public void SameSeedRebuildsTheSetBitForBitAndAnotherSeedDoesNot()
    {
        var input = FrameFolder("clip", 3);
        string a = Path.Combine(_dir.Path, "a"), b = Path.Combine(_dir.Path, "b"), c = Path.Combine(_dir.Path, "c");
        Run(input, a, seed: 77);
        Run(input, b, seed: 77);
        Run(input, c, seed: 78);
        var fa = Files(a);
        var fb = Files(b);
        var fc = Files(c);
        Assert.Equal(fa.Keys.Order(), fb.Keys.Order());
        foreach (var (name, bytes) in fa) Assert.True(bytes.AsSpan().SequenceEqual(fb[name]), $"{name} differs between runs with the same seed");
        Assert.False(fa["lq/clip/00000001.png"].AsSpan().SequenceEqual(fc["lq/clip/00000001.png"]));
        Assert.True(fa["gt/clip/00000001.png"].AsSpan().SequenceEqual(fc["gt/clip/00000001.png"]));
    }

    [Fact]
    public void StreakPairsHaveNoDropLabelsAndNoDrops()
    {
        var input = FrameFolder("clip", 2);
        var output = Path.Combine(_dir.Path, "pairs");
        Run(input, output, kind: "streaks", preset: "mixed");
        Assert.Equal(["gt", "lq", "mstreak"], Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var gt = ImageFile.Read(Path.Combine(output, "gt", "clip", "00000001.png")).Data;
        var lq = ImageFile.Read(Path.Combine(output, "lq", "clip", "00000001.png")).Data;
        var map = ImageFile.Read(Path.Combine(output, "mstreak", "clip", "00000001.png")).Data;
        // Without drops, a zero streak map means the rainy pixel is the clean one.
        for (int i = 0; i < map.Length; i++)
            if (map[i] == 0) Assert.True(gt[i] == lq[i] && gt[map.Length + i] == lq[map.Length + i] && gt[2 * map.Length + i] == lq[2 * map.Length + i]);
        Assert.Contains(map, v => v > 0);
    }

    [Fact]
    public void TimeLapseSetsRenderIndependentFramesOverEachPhoto()
    {
        var photos = _dir.Folder("photos");
        var still = FrameFolder("still", 1);
        File.Copy(Path.Combine(still, "frame_1.png"), Path.Combine(photos, "street.png"));
        File.Copy(Path.Combine(still, "frame_1.png"), Path.Combine(photos, "yard.png"));
        var output = Path.Combine(_dir.Path, "tl");
        var summary = Run(photos, output, kind: "timelapse", preset: "mixed", frames: 3, sets: ["timelapse.jitter=2", "timelapse.lighting=0.1"]);

        Assert.Equal(6, summary.Frames);
        Assert.Equal(["gt", "lq"], Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["street", "yard"], Directory.GetDirectories(Path.Combine(output, "lq")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        float[] Read(string folder, int k) => ImageFile.Read(Path.Combine(output, folder, "street", DatasetLayout.FrameFile(k))).Data;
        Assert.NotEqual(Read("lq", 0), Read("lq", 1));
        Assert.NotEqual(Read("gt", 0), Read("gt", 1)); // jitter and lighting drift move the clean frame too
        // Same photo, different scene seeds: the two scenes' rain differs.
        Assert.NotEqual(Read("lq", 0), ImageFile.Read(Path.Combine(output, "lq", "yard", "00000000.png")).Data);
    }

    [Fact]
    public void APhotoBecomesAStaticVideoOfTheRequestedLength()
    {
        var still = FrameFolder("still", 1);
        var output = Path.Combine(_dir.Path, "photo-set");
        Run(Path.Combine(still, "frame_1.png"), output, frames: 3);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(output, "lq", "frame_1")).Length);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(output, "gt", "frame_1", "00000000.png")),
            File.ReadAllBytes(Path.Combine(output, "gt", "frame_1", "00000002.png")));
    }

    [Fact]
    public void AFailureHalfwayLeavesNoOutputBehind()
    {
        var input = FrameFolder("clip", 3);
        // The third frame has another size: reading fails after two frames were written.
        ImageFile.Write(Path.Combine(input, "frame_3.png"), new Image(3, H / 2, W / 2));
        var output = Path.Combine(_dir.Path, "broken");
        Assert.ThrowsAny<IOException>(() => Run(input, output));
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".*"));
    }

    [Fact]
    public void AFolderOfVideosGivesOneVideoFolderEach()
    {
        var root = _dir.Folder("many");
        var a = FrameFolder(Path.Combine("many", "alpha"), 2);
        var b = FrameFolder(Path.Combine("many", "beta"), 2);
        var sources = SynthesisSource.Find(root, SynthesisKind.Vrds);
        Assert.Equal(["alpha", "beta"], sources.Select(s => s.Name));
        Assert.All(sources, s => Assert.Equal(SourceType.FrameFolder, s.Type));
        var output = Path.Combine(_dir.Path, "set");
        Run(root, output, frames: 1);
        Assert.Equal(["alpha", "beta"], Directory.GetDirectories(Path.Combine(output, "01drop")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Directory.Exists(a) && Directory.Exists(b));
    }
}
