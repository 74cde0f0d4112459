using Derain.Data.Imaging;
using Derain.Models.Tests.Vimpnet;
using Derain.Models.Vimpnet;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Serialization;
using Xunit.Abstractions;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>
/// <c>derain run --model vimpnet</c>: the official fixture through the whole pipeline (files in, npy out), and the
/// streaming window/tile averaging against a direct transcription of the official test_video/test_clip on a small case.
/// </summary>
public sealed class VimpnetInferenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Five 256² frames are one window and one tile: the npy outputs must be the official forward's.</summary>
    [Fact]
    public void FixtureClipThroughThePipelineEqualsTheOfficialOutputs()
    {
        string input = _temp.Combine("in");
        Directory.CreateDirectory(input);
        foreach (var file in Directory.GetFiles(Path.Combine(VimpnetFixture.Root, "in"), "*.png")) File.Copy(file, Path.Combine(input, Path.GetFileName(file)));
        var summary = VideoRestoration.Run(new VimpnetRestorer(VimpnetFixture.SeededNet(), keepMaps: true), input, _temp.Combine("out"), OutputFormat.Npy);
        Assert.Equal(5, summary.Frames);

        var errors = new List<string>();
        foreach (var (official, suffix) in new[] { ("out_final.npy", ""), ("out_stage1.npy", "_stage1"), ("out_dropmask.npy", "_mask"), ("out_streakmask.npy", "_streak") })
        {
            var expected = Npy.Read(Path.Combine(VimpnetFixture.Root, official)); // [T, C, H, W]
            int c = expected.Shape[1], h = expected.Shape[2], w = expected.Shape[3], n = h * w;
            double worst = 0;
            for (int t = 0; t < 5; t++)
            {
                var ours = Npy.Read(_temp.Combine("out", $"{t:D5}{suffix}.npy"));
                Assert.Equal(c == 1 ? new[] { h, w } : new[] { h, w, c }, ours.Shape);
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < n; i++)
                        worst = Math.Max(worst, Math.Abs(expected.Data[((t * c) + ch) * n + i] - ours.Data[i * c + ch]));
            }
            output.WriteLine($"{official} vs <stem>{suffix}.npy: max |Δ| {worst:G3}");
            if (!(worst <= VimpnetFixture.Tolerance)) errors.Add($"{official}: {worst:G3}");
        }
        Assert.True(errors.Count == 0, string.Join("; ", errors));
    }

    /// <summary>
    /// The streaming restorer (a ring of five frames, running sums) against the official algorithm written out
    /// directly on whole arrays: every window, every tile, border halves zeroed, E / W per clip, then E / W over the
    /// windows — with a cheap stand-in network whose outputs depend on the frame index, the whole window and the
    /// position inside the tile, so that any wrong window, tile, crop or weight shows.
    /// </summary>
    [Theory]
    [InlineData(7, 37, 13, true)]   // three tile columns (the last flush, overlapping more), height padded 13 → 16
    [InlineData(9, 28, 40, false)]  // two or three tiles a side, more windows than the ring holds
    [InlineData(3, 20, 16, true)]   // a clip shorter than a window: one window of three frames
    [InlineData(5, 16, 16, true)]   // one window, one tile: the stand-in's outputs exactly
    public void StreamingAveragingEqualsTheOfficialAlgorithm(int frames, int width, int height, bool keepMaps)
    {
        const int window = 5, tile = 16, overlap = 4;
        var random = new Random(frames * 1000 + width);
        var images = Enumerable.Range(0, frames).Select(_ =>
        {
            var planes = new float[3 * width * height];
            for (int i = 0; i < planes.Length; i++) planes[i] = (float)random.NextDouble();
            return new Image(3, height, width, planes);
        }).ToList();

        var restorer = new VimpnetRestorer(StandIn, keepMaps, window, tile, overlap);
        var restored = restorer.RestoreAll(images.Select((im, i) => new NamedImage(im, $"f{i}"))).Cast<VimpnetRestoredFrame>().ToList();
        Assert.Equal(frames, restored.Count);

        var reference = Official(images, window, tile, overlap);
        double worst = 0;
        for (int t = 0; t < frames; t++)
        {
            Assert.Equal($"f{t}", restored[t].Name);
            worst = Math.Max(worst, MaxAbs(reference[0][t], restored[t].Output));
            if (keepMaps)
            {
                worst = Math.Max(worst, MaxAbs(reference[1][t], restored[t].Stage1!));
                worst = Math.Max(worst, MaxAbs(reference[2][t], restored[t].DropMask!));
                worst = Math.Max(worst, MaxAbs(reference[3][t], restored[t].StreakMap!));
            }
            else
            {
                Assert.Null(restored[t].Stage1);
            }
        }
        output.WriteLine($"max |Δ| against the direct computation: {worst:G3}");
        Assert.True(worst <= 1e-5, $"streamed outputs differ from the direct computation by {worst:G3}");
    }

    [Fact]
    public void SingleFramesAndMixedSizesAreRefusedWithOneLine()
    {
        var restorer = new VimpnetRestorer(StandIn, false, 5, 16, 4);
        var one = new NamedImage(new Image(3, 16, 16), "a");
        var e = Assert.Throws<InferenceException>(() => restorer.RestoreAll([one]).ToList());
        Assert.Contains("only 1 frame", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<InferenceException>(() => restorer.RestoreAll([one, new NamedImage(new Image(3, 16, 20), "b")]).ToList());
        Assert.Contains("frame b is 20×16 but the first frame is 16×16", e.Message);

        string root = _temp.Combine("repo");
        Directory.CreateDirectory(root);
        e = Assert.Throws<InferenceException>(() => VimpnetModels.Load(null, root));
        Assert.Contains("needs weights", e.Message);
        Assert.Contains(VimpnetModels.DefaultModelPath, e.Message);
        e = Assert.Throws<InferenceException>(() => VimpnetModels.Load(_temp.Combine("missing.pth")));
        Assert.Contains("not found", e.Message);

        string image = _temp.Combine("a.png");
        ImageFile.Write(image, new Image(3, 16, 16));
        e = Assert.Throws<InferenceException>(() => VideoRestoration.Run(restorer, image, _temp.Combine("out"), OutputFormat.Png));
        Assert.Contains("single image, but ViMP-Net restores video", e.Message);
    }

    /// <summary>--save-masks with PNG output: OUT_mask/ and OUT_streak/ beside OUT/, one grey frame per input frame.</summary>
    [Fact]
    public void SaveMasksWritesFoldersBesideTheOutput()
    {
        string input = _temp.Combine("frames");
        Directory.CreateDirectory(input);
        var random = new Random(3);
        for (int i = 0; i < 6; i++)
        {
            var bytes = new byte[3 * 24 * 20];
            random.NextBytes(bytes);
            ImageFile.Write(Path.Combine(input, $"{i:D3}.png"), Image.FromBytes(bytes, 3, 20, 24));
        }
        var restorer = new VimpnetRestorer(StandIn, true, 5, 16, 4);
        var summary = VideoRestoration.Run(restorer, input, _temp.Combine("out"), OutputFormat.Png,
            [VimpnetRestoredFrame.MaskSuffix, VimpnetRestoredFrame.StreakSuffix]);
        Assert.Equal(6, summary.Frames);
        foreach (string folder in new[] { "out", "out_mask", "out_streak" })
            Assert.Equal(Enumerable.Range(0, 6).Select(i => $"{i:D3}.png"), Directory.GetFiles(_temp.Combine(folder)).Select(Path.GetFileName).Order());
        var mask = ImageFile.Read(_temp.Combine("out_mask", "002.png"));
        Assert.Equal((24, 20), (mask.Width, mask.Height));
        Assert.Equal(_temp.Combine("out_mask.mp4"), VideoRestoration.SideTarget(_temp.Combine("out.mp4"), "_mask"));
    }

    /// <summary>A cheap function of the clip [1, T, 3, S, S] with ViMP-Net's four outputs.</summary>
    private static VimpnetForward StandIn(Tensor clip)
    {
        var x = clip.ToArray();
        int t = clip.Size(1), s = clip.Size(3), n = s * s;
        var (stage1, final, mask, streak) = StandInArrays(x, t, s);
        return new VimpnetForward(Tensor.FromArray(stage1, 1, t, 3, s, s), Tensor.FromArray(mask, 1, t, 1, s, s),
            Tensor.FromArray(streak, 1, t, 1, s, s), Tensor.FromArray(final, 1, t, 3, s, s));
    }

    private static (float[] Stage1, float[] Final, float[] Mask, float[] Streak) StandInArrays(float[] x, int t, int s)
    {
        int n = s * s;
        float mean = x.Average();
        var stage1 = new float[t * 3 * n];
        var final = new float[t * 3 * n];
        var mask = new float[t * n];
        var streak = new float[t * n];
        for (int f = 0; f < t; f++)
            for (int y = 0; y < s; y++)
                for (int px = 0; px < s; px++)
                {
                    int i = y * s + px;
                    float grey = 0;
                    for (int c = 0; c < 3; c++)
                    {
                        float v = x[(f * 3 + c) * n + i];
                        grey += v / 3;
                        stage1[(f * 3 + c) * n + i] = v + 0.1f * mean + 0.01f * f + 0.001f * y - 0.002f * px;
                        final[(f * 3 + c) * n + i] = stage1[(f * 3 + c) * n + i] + 0.5f * x[(((f + 1) % t) * 3 + c) * n + i];
                    }
                    mask[f * n + i] = grey * (f + 1) / t + 0.003f * px;
                    float r = x[(f * 3) * n + i];
                    streak[f * n + i] = r * r - mean + 0.002f * y;
                }
        return (stage1, final, mask, streak);
    }

    /// <summary>
    /// DrainNet.test_video and test_clip transcribed directly (whole video in memory) on frames first padded to the
    /// tile by repeating the last row and column; outputs [output][frame] as planes cropped back.
    /// </summary>
    private static float[][][] Official(List<Image> images, int window, int tile, int overlap)
    {
        int d = images.Count, w = images[0].Width, h = images[0].Height;
        int pw = Math.Max(w, tile), ph = Math.Max(h, tile), pn = pw * ph;
        var padded = images.Select(im =>
        {
            var p = new float[3 * pn];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < ph; y++)
                    for (int x = 0; x < pw; x++) p[c * pn + y * pw + x] = im.Plane(c)[Math.Min(y, h - 1) * w + Math.Min(x, w - 1)];
            return p;
        }).ToList();
        int[] channels = [3, 3, 1, 1];
        // Video-level E and W (test_video).
        var e = channels.Select(c => Enumerable.Range(0, d).Select(_ => new double[c * pn]).ToArray()).ToArray();
        var wv = new double[d];
        var starts = Enumerable.Range(0, Math.Max(0, d - window)).ToList();
        starts.Add(Math.Max(0, d - window));
        foreach (int d0 in starts)
        {
            int t = Math.Min(window, d);
            var clip = Enumerable.Range(d0, t).Select(i => padded[i]).ToList();
            var clipOut = TestClip(clip, pw, ph, tile, overlap, channels);
            for (int o = 0; o < 4; o++)
                for (int f = 0; f < t; f++)
                    for (int i = 0; i < clipOut[o][f].Length; i++) e[o][d0 + f][i] += clipOut[o][f][i];
            for (int f = 0; f < t; f++) wv[d0 + f] += 1;
        }
        return Enumerable.Range(0, 4).Select(o => Enumerable.Range(0, d).Select(f =>
        {
            int c = channels[o];
            var result = new float[c * w * h];
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) result[ch * w * h + y * w + x] = (float)(e[o][f][ch * pn + y * pw + x] / wv[f]);
            return result;
        }).ToArray()).ToArray();
    }

    private static double[][][] TestClip(List<float[]> clip, int pw, int ph, int tile, int overlap, int[] channels)
    {
        int t = clip.Count, pn = pw * ph, tn = tile * tile, stride = tile - overlap;
        static List<int> Starts(int length, int tile, int stride)
        {
            var list = new List<int>();
            for (int p = 0; p < length - tile; p += stride) list.Add(p);
            list.Add(Math.Max(0, length - tile));
            return list;
        }
        var hs = Starts(ph, tile, stride);
        var ws = Starts(pw, tile, stride);
        var e = channels.Select(c => Enumerable.Range(0, t).Select(_ => new double[c * pn]).ToArray()).ToArray();
        var weight = new double[pn];
        foreach (int h0 in hs)
            foreach (int w0 in ws)
            {
                var patch = new float[t * 3 * tn];
                for (int f = 0; f < t; f++)
                    for (int c = 0; c < 3; c++)
                        for (int y = 0; y < tile; y++)
                            for (int x = 0; x < tile; x++) patch[(f * 3 + c) * tn + y * tile + x] = clip[f][c * pn + (h0 + y) * pw + w0 + x];
                var (stage1, final, mask, streak) = StandInArrays(patch, t, tile);
                var outs = new[] { final, stage1, mask, streak };
                // out_patch_mask: ones, with overlap // 2 zeroed at each side facing another patch.
                var keep = new double[tn];
                for (int y = 0; y < tile; y++)
                    for (int x = 0; x < tile; x++)
                    {
                        bool zero = (h0 < hs[^1] && y >= tile - overlap / 2) || (w0 < ws[^1] && x >= tile - overlap / 2)
                            || (h0 > hs[0] && y < overlap / 2) || (w0 > ws[0] && x < overlap / 2);
                        keep[y * tile + x] = zero ? 0 : 1;
                    }
                for (int o = 0; o < 4; o++)
                    for (int f = 0; f < t; f++)
                        for (int c = 0; c < channels[o]; c++)
                            for (int y = 0; y < tile; y++)
                                for (int x = 0; x < tile; x++)
                                    e[o][f][c * pn + (h0 + y) * pw + w0 + x] += outs[o][(f * channels[o] + c) * tn + y * tile + x] * keep[y * tile + x];
                for (int y = 0; y < tile; y++)
                    for (int x = 0; x < tile; x++) weight[(h0 + y) * pw + w0 + x] += keep[y * tile + x];
            }
        foreach (var output in e)
            foreach (var frame in output)
                for (int i = 0; i < frame.Length; i++) frame[i] /= weight[i % pn];
        return e;
    }

    private static double MaxAbs(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, float.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs(expected[i] - actual[i]));
        return worst;
    }
}
