using Derain.Data.Imaging;
using Derain.Data.Video;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Serialization;
using Xunit.Abstractions;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>The run pipeline with stand-in networks: flat memory, every frame out, padding and cropping, formats, atomic output.</summary>
[Collection(MemoryCollection.Name)]
public sealed class StreamingTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AtMostFiveDecodedFramesAreAliveAndManagedMemoryStaysFlat()
    {
        const int count = 400, width = 160, height = 120; // 115 kB of luma and chroma per frame: 46 MB if all were kept
        var alive = new List<WeakReference<LumaFrame>>();
        IEnumerable<LumaFrame> Source()
        {
            for (int i = 0; i < count; i++)
            {
                var frame = LumaFrame.FromImage(StandIns.Pattern(i, width, height), $"f{i}");
                alive.Add(new WeakReference<LumaFrame>(frame));
                yield return frame;
            }
        }
        var restorer = new LumaRestorer(StandIns.Identity, 4);
        long atStart = 0, peak = 0;
        int t = 0, mostAlive = 0;
        foreach (var restored in VideoRestoration.Restore(restorer, Source()))
        {
            Assert.Equal($"f{t}", restored.Name);
            if (t % 25 == 0)
            {
                long now = GC.GetTotalMemory(forceFullCollection: true);
                if (t == 50) atStart = now;
                if (t >= 50) peak = Math.Max(peak, now);
                mostAlive = Math.Max(mostAlive, alive.Count(w => w.TryGetTarget(out _)));
            }
            t++;
        }
        Assert.Equal(count, t);
        output.WriteLine($"live managed heap at frame 50: {atStart / 1024} kB, peak afterwards {peak / 1024} kB; at most {mostAlive} decoded frames alive");
        // The ring buffer's five frames, plus the one the enumerator still holds as Current.
        Assert.InRange(mostAlive, 1, 6);
        Assert.True(peak - atStart < 2 << 20, $"managed heap grew by {(peak - atStart) / 1024} kB between frame 50 and the end");
    }

    [Fact]
    public void AFolderRunWritesEveryFrameInFlatMemory()
    {
        string input = StandIns.FrameFolder(_temp.Combine("in"), 150, 64, 48);
        var samples = new List<long>();
        var progress = new SynchronousProgress(p =>
        {
            if (p.FramesDone is 20 or 75 or 150) samples.Add(GC.GetTotalMemory(forceFullCollection: true));
        });
        var summary = VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), input, _temp.Combine("out"), OutputFormat.Npy, progress);
        Assert.Equal(150, summary.Frames);
        var names = Directory.GetFiles(summary.Output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, 150).SelectMany(i => new[] { $"frame_{i:D3}.npy", $"frame_{i:D3}_y.npy" }).Order(StringComparer.Ordinal), names);
        output.WriteLine($"live managed heap at frames 20/75/150: {string.Join(" / ", samples.Select(s => s / 1024))} kB");
        Assert.True(samples[2] - samples[0] < 2 << 20, "managed heap grew with the number of frames");
    }

    [Fact]
    public void SizesNotMultiplesOfFourArePaddedByReplicationAndCroppedBack()
    {
        const int width = 37, height = 23;
        string input = StandIns.FrameFolder(_temp.Combine("in"), 4, width, height);
        int calls = 0;
        Tensor CheckPadding(Tensor frames)
        {
            calls++;
            Assert.Equal([1, 5, 24, 40], frames.Shape.ToArray());
            var data = frames.Span<float>();
            for (int k = 0; k < 5; k++)
                for (int y = 0; y < 24; y++)
                    for (int x = 0; x < 40; x++)
                    {
                        int sy = Math.Min(y, height - 1), sx = Math.Min(x, width - 1);
                        Assert.Equal(data[(k * 24 + sy) * 40 + sx], data[(k * 24 + y) * 40 + x]);
                    }
            return StandIns.Identity(frames);
        }
        var restorer = new LumaRestorer(CheckPadding, 4);
        var png = VideoRestoration.Run(restorer, input, _temp.Combine("png"), OutputFormat.Png);
        var npy = VideoRestoration.Run(restorer, input, _temp.Combine("npy"), OutputFormat.Npy);
        Assert.Equal(8, calls);
        for (int i = 0; i < 4; i++)
        {
            var source = LumaFrame.FromImage(ImageFile.Read(Path.Combine(input, $"frame_{i:D3}.png")), "s");
            var image = ImageFile.Read(Path.Combine(png.Output, $"frame_{i:D3}.png"));
            Assert.Equal((width, height, 3), (image.Width, image.Height, image.Channels));
            var y = Npy.Read(Path.Combine(npy.Output, $"frame_{i:D3}_y.npy"));
            Assert.Equal([height, width], y.Shape);
            // An identity network gives back the input luma exactly (the padding was cropped away, not resampled).
            Assert.Equal(source.Luma, y.Data.Select(v => (float)v).ToArray());
            Assert.Equal([height, width, 3], Npy.Read(Path.Combine(npy.Output, $"frame_{i:D3}.npy")).Shape);
        }
    }

    [Fact]
    public void FloatFormatsHoldTheInverseOfTheFloatLuma()
    {
        // A stand-in that brightens by 0.3 pushes many samples past 1: npy keeps them, png16 clamps, png rounds.
        Tensor Brighten(Tensor frames) => StandIns.Identity(frames) + 0.3f;
        string input = StandIns.FrameFolder(_temp.Combine("in"), 3, 12, 8);
        var restorer = new LumaRestorer(Brighten, 4);
        var npy = VideoRestoration.Run(restorer, input, _temp.Combine("npy"), OutputFormat.Npy);
        var png16 = VideoRestoration.Run(restorer, input, _temp.Combine("png16"), OutputFormat.Png16);
        var png = VideoRestoration.Run(restorer, input, _temp.Combine("png"), OutputFormat.Png);
        var frame = LumaFrame.FromImage(ImageFile.Read(Path.Combine(input, "frame_001.png")), "frame_001");
        var expected = new RestoredFrame(frame, frame.Luma.Select(v => v + 0.3f).ToArray());

        var rgb = Npy.Read(Path.Combine(npy.Output, "frame_001.npy"));
        Assert.Equal("<f4", rgb.Descr);
        var planes = expected.ToRgbFloatPlanes();
        int n = 12 * 8;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(planes[c * n + i], (float)rgb.Data[3 * i + c]); // HWC order
        Assert.Contains(rgb.Data, v => v > 1); // not clamped
        Assert.Equal(expected.Luma, Npy.Read(Path.Combine(npy.Output, "frame_001_y.npy")).Data.Select(v => (float)v).ToArray());

        var sixteen = ImageFile.Read(Path.Combine(png16.Output, "frame_001.png"));
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < n; i++)
                Assert.Equal(Math.Clamp(Math.Round(planes[c * n + i] * 65535.0), 0, 65535), Math.Round(sixteen.Plane(c)[i] * 65535.0));
        Assert.Equal(expected.ToRgbBytes(), ImageFile.Read(Path.Combine(png.Output, "frame_001.png")).ToBytes());
    }

    [Fact]
    public void AVideoFileBecomesAVideoAtTheSameRateWithEveryFrame()
    {
        string input = _temp.Combine("in.mp4");
        using (var writer = VideoWriter.Create(input, 50, 30, new FrameRate(12), new VideoWriterOptions { Crf = 0 }))
        {
            for (int i = 0; i < 8; i++) writer.Write(StandIns.Pattern(i, 50, 30));
            writer.Complete();
        }
        var summary = VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), input, _temp.Combine("out.mp4"), OutputFormat.Mp4);
        Assert.Equal(8, summary.Frames);
        using var reader = VideoReader.Open(summary.Output);
        Assert.Equal((50, 30), (reader.Info.Width, reader.Info.Height));
        Assert.Equal(new FrameRate(12), reader.Info.FrameRate);
        Assert.Equal(8, reader.Frames().Count());

        // Frames of a video are named by their 1-based number.
        var npy = VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), input, _temp.Combine("npy"), OutputFormat.Npy);
        Assert.True(File.Exists(Path.Combine(npy.Output, "000001_y.npy")));
        Assert.True(File.Exists(Path.Combine(npy.Output, "000008.npy")));
    }

    [Fact]
    public void ATruncatedVideoIsRestoredAsFarAsItDecodesAndSaysSo()
    {
        string whole = _temp.Combine("whole.mp4");
        using (var writer = VideoWriter.Create(whole, 96, 64, new FrameRate(25)))
        {
            for (int i = 0; i < 30; i++) writer.Write(StandIns.Pattern(i, 96, 64));
            writer.Complete();
        }
        var bytes = File.ReadAllBytes(whole);
        string cut = _temp.Combine("cut.mp4");
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 6 / 10)]);
        var summary = VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), cut, _temp.Combine("out"), OutputFormat.Png);
        Assert.InRange(summary.Frames, 1, 29);
        Assert.Equal(summary.Frames, Directory.GetFiles(summary.Output).Length);
        Assert.Contains($"decoded {summary.Frames} of the 30 frames", summary.InputProblem);
    }

    [Theory]
    [InlineData(OutputFormat.Png, "out")]
    [InlineData(OutputFormat.Mp4, "out.mp4")]
    public void AFailedRunLeavesNothingBehind(OutputFormat format, string name)
    {
        string input = StandIns.FrameFolder(_temp.Combine("in"), 6, 16, 8);
        int calls = 0;
        Tensor FailOnThird(Tensor frames) => ++calls == 3 ? throw new InvalidOperationException("stand-in failure") : StandIns.Identity(frames);
        string parent = _temp.Combine("results");
        Directory.CreateDirectory(parent);
        Assert.Throws<InvalidOperationException>(() => VideoRestoration.Run(new LumaRestorer(FailOnThird, 4), input, Path.Combine(parent, name), format));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));

        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.FramesDone == 2) cancel.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), input, Path.Combine(parent, name), format, progress, cancel.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void PathsAreCheckedBeforeAnythingRuns()
    {
        string input = StandIns.FrameFolder(_temp.Combine("in"), 2, 8, 4);
        string full = _temp.Combine("full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "x");
        string image = Path.Combine(input, "frame_000.png");

        Assert.Contains("does not exist", Error(_temp.Combine("nope"), _temp.Combine("o"), OutputFormat.Png));
        Assert.Contains("single image", Error(image, _temp.Combine("o"), OutputFormat.Png));
        Assert.Contains("not empty", Error(input, full, OutputFormat.Png));
        Assert.Contains("looks like a video file", Error(input, _temp.Combine("o.mp4"), OutputFormat.Png));
        Assert.Contains("must end in .mp4", Error(input, _temp.Combine("o"), OutputFormat.Mp4));
        Assert.Contains("is the input itself", Error(input, input, OutputFormat.Npy));
        // An existing empty folder is fine and is replaced by the result.
        string empty = _temp.Combine("empty");
        Directory.CreateDirectory(empty);
        var summary = VideoRestoration.Run(new LumaRestorer(StandIns.Identity, 4), input, empty, OutputFormat.Png);
        Assert.Equal(2, Directory.GetFiles(summary.Output).Length);
        Assert.Equal(OutputFormat.Mp4, OutputFormats.ForPath("a/b.MP4"));
        Assert.Equal(OutputFormat.Png, OutputFormats.ForPath("a/b"));

        static string Error(string input, string output, OutputFormat format)
            => Assert.Throws<InferenceException>(() => VideoRestoration.CheckPaths(input, output, format)).Message;
    }

    private sealed class SynchronousProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
