using Derain.Data.Imaging;
using Derain.Models.Mgid;
using Derain.Models.Tests.Mgid;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors.Serialization;
using Xunit.Abstractions;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>
/// <c>derain run --model mgid</c>'s pipeline: official outputs through the single-image path, padding, tiles, folders
/// and the messages for missing weights and bad options. Uses the seeded weights of ../shared/fixtures/mgid.
/// </summary>
public sealed class MgidInferenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string FixtureInput(string name) => Path.Combine(MgidFixture.Root, "in", name);

    [Fact]
    public void SingleImageReproducesTheOfficialPngAndNpy()
    {
        var restorer = new MgidRestorer(MgidFixture.SeededNet());
        var png = VideoRestoration.Run(restorer, FixtureInput("00000.png"), _temp.Combine("out.png"), OutputFormat.Png);
        Assert.Equal(1, png.Frames);
        var official = ImageFile.Read(Path.Combine(MgidFixture.Root, "out_derained_png", "00000.png")).ToBytes();
        var ours = ImageFile.Read(_temp.Combine("out.png")).ToBytes();
        Assert.True(official.Zip(ours).All(p => Math.Abs(p.First - p.Second) <= 1));
        Assert.True(official.Zip(ours).Count(p => p.First != p.Second) <= 40);

        VideoRestoration.Run(restorer, FixtureInput("00000.png"), _temp.Combine("out.npy"), OutputFormat.Npy);
        var derained = Npy.Read(_temp.Combine("out.npy"));
        var streak = Npy.Read(_temp.Combine("out_streak.npy"));
        Assert.Equal([256, 256, 3], derained.Shape);
        Assert.Equal([256, 256, 3], streak.Shape);
        // (x + 1) / 2 of the official BGR output, reordered to RGB HWC; the streak on the same scale is s / 2.
        var wantD = Npy.Read(Path.Combine(MgidFixture.Root, "out_derained.npy"));
        var wantS = Npy.Read(Path.Combine(MgidFixture.Root, "out_streak.npy"));
        int n = 256 * 256;
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
            {
                worst = Math.Max(worst, Math.Abs(derained.Data[3 * i + c] - (wantD.Data[(2 - c) * n + i] + 1) / 2));
                worst = Math.Max(worst, Math.Abs(streak.Data[3 * i + c] - wantS.Data[(2 - c) * n + i] / 2));
            }
        Assert.True(worst <= MgidFixture.Tolerance / 2, $"npy outputs differ from the official ones by {worst:G3}.");
    }

    [Fact]
    public void OddSizesArePaddedAndCroppedBack()
    {
        var image = Crop(ImageFile.Read(FixtureInput("00001.png")), 0, 0, 203, 250);
        var restored = new MgidRestorer(MgidFixture.SeededNet()).Restore(image, "odd");
        Assert.Equal((203, 250), (restored.Width, restored.Height));
        // derained + streak = input on the [0, 1] scale, everywhere (the crop removed exactly the padding).
        double worst = 0;
        for (int i = 0; i < restored.Derained.Length; i++)
            worst = Math.Max(worst, Math.Abs(restored.Derained[i] + restored.Streak[i] - Quantised(image.Data[i])));
        Assert.True(worst < 1e-5, $"derained + streak differs from the input by {worst:G3}.");
    }

    /// <summary>
    /// Tiles of 96 with overlap 32 on a 203×250 crop (padded to 208×256) against the whole image. The instance norm uses
    /// the whole image's statistics (first pass), but the encoder/decoder receptive field (well over 96 px) is cut by
    /// the tile edges, so no pixel is exactly equal. Measured with the seeded weights: max 0.0081 outside blend zones,
    /// 0.067 inside them, mean 0.0039 (derained, [0, 1] scale); the bounds are those with about 1.5× headroom
    /// (docs/mgid.md). The 1e-3 the brief hoped for is not reached at this tile size.
    /// </summary>
    [Fact]
    public void TiledOutputAgreesWithUntiledWithinTheDocumentedBound()
    {
        var net = MgidFixture.SeededNet();
        var image = Crop(ImageFile.Read(FixtureInput("00001.png")), 20, 3, 203, 250);
        var whole = new MgidRestorer(net).Restore(image, "whole");
        var tiled = new MgidRestorer(net, 96, 32).Restore(image, "tiled");
        var xs = MgidRestorer.Positions(208, 96, 32);
        var ys = MgidRestorer.Positions(256, 96, 32);
        Assert.Equal([0, 64, 112], xs);
        Assert.Equal([0, 64, 128, 160], ys);
        int w = 203, h = 250, n = w * h;
        double interior = 0, seams = 0, mean = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = c * n + y * w + x;
                    double diff = Math.Abs(tiled.Derained[i] - whole.Derained[i]);
                    mean += diff / (3.0 * n);
                    if (InBlend(x, xs, 96, 32) || InBlend(y, ys, 96, 32)) seams = Math.Max(seams, diff);
                    else interior = Math.Max(interior, diff);
                }
        output.WriteLine($"tiled vs untiled, derained on [0, 1]: max {interior:G3} away from blend zones, {seams:G3} in them, mean {mean:G3}");
        Assert.True(interior <= InteriorBound, $"away from tile borders the tiled output differs by {interior:G3}.");
        Assert.True(seams <= SeamBound, $"in the blend zones the tiled output differs by {seams:G3}.");
        Assert.True(mean <= MeanBound, $"on average the tiled output differs by {mean:G3}.");
    }

    private const double InteriorBound = 0.012, SeamBound = 0.1, MeanBound = 0.006;

    /// <summary>True when coordinate <paramref name="v"/> lies in a zone where two tiles overlap.</summary>
    private static bool InBlend(int v, List<int> starts, int size, int overlap)
    {
        for (int k = 1; k < starts.Count; k++)
            if (v >= starts[k] && v < starts[k - 1] + size) return true;
        return false;
    }

    [Fact]
    public void FolderInGivesFolderOut()
    {
        string input = _temp.Combine("frames");
        Directory.CreateDirectory(input);
        File.Copy(FixtureInput("00000.png"), Path.Combine(input, "a.png"));
        File.Copy(FixtureInput("00001.png"), Path.Combine(input, "b.png"));
        var summary = VideoRestoration.Run(new MgidRestorer(MgidFixture.SeededNet()), input, _temp.Combine("out"), OutputFormat.Png16);
        Assert.Equal(2, summary.Frames);
        Assert.Equal(new[] { "a.png", "b.png" }, Directory.GetFiles(_temp.Combine("out")).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Fact]
    public void MissingWeightsAndBadOptionsAreOneLineMessages()
    {
        string root = _temp.Combine("repo");
        Directory.CreateDirectory(root);
        var e = Assert.Throws<InferenceException>(() => MgidModels.Load(null, out _, root));
        Assert.Contains("needs weights", e.Message);
        Assert.Contains(MgidModels.DefaultModelPath, e.Message);
        e = Assert.Throws<InferenceException>(() => MgidModels.Load(RealRain.Weights("EEVRSR_all"), out _));
        Assert.Contains("not an MGID checkpoint", e.Message);
        Assert.Throws<InferenceException>(() => new MgidRestorer(MgidFixture.SeededNet(), 100, 8));
        Assert.Throws<InferenceException>(() => new MgidRestorer(MgidFixture.SeededNet(), 64, 64));
        e = Assert.Throws<InferenceException>(() => VideoRestoration.CheckPaths(FixtureInput("00000.png"), _temp.Combine("out.mp4"), OutputFormat.Mp4, singleImages: true));
        Assert.Contains("single image", e.Message);
        e = Assert.Throws<InferenceException>(() => VideoRestoration.CheckPaths(FixtureInput("00000.png"), _temp.Combine("out.png"), OutputFormat.Npy, singleImages: true));
        Assert.Contains(".npy", e.Message);
    }

    private static float Quantised(float unit) => MathF.Round(unit * 255f) / 255f;

    private static Image Crop(Image image, int x0, int y0, int w, int h)
    {
        var result = new Image(image.Channels, h, w);
        for (int c = 0; c < image.Channels; c++)
            for (int y = 0; y < h; y++)
                image.Plane(c).Slice((y0 + y) * image.Width + x0, w).CopyTo(result.Plane(c).Slice(y * w, w));
        return result;
    }
}
