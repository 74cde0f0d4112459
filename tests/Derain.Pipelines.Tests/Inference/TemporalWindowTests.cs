using Derain.Data.Imaging;
using Derain.Pipelines.Inference;
using Derain.Pipelines.Tests.Infrastructure;

namespace Derain.Pipelines.Tests.Inference;

/// <summary>The clip-edge rule (mirror about the centre frame, clamp when the mirror is missing too) and its use in the pipeline.</summary>
public sealed class TemporalWindowTests
{
    public static TheoryData<int, int[][]> Expected => new()
    {
        // One frame: five copies.
        { 1, [[0, 0, 0, 0, 0]] },
        // Two frames: t±1 mirror; t±2 have no mirror either and are clamped to the clip.
        { 2, [[0, 1, 0, 1, 1], [0, 0, 1, 0, 1]] },
        // Three frames: only the middle frame needs the clamp (t−2 = −1 and t+2 = 3 are both outside).
        { 3, [[2, 1, 0, 1, 2], [0, 0, 1, 2, 2], [0, 1, 2, 1, 0]] },
        // Six frames: t−1 → t+1 and t−2 → t+2 at the start, t+1 → t−1 and t+2 → t−2 at the end.
        { 6, [[2, 1, 0, 1, 2], [3, 0, 1, 2, 3], [0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [2, 3, 4, 5, 2], [3, 4, 5, 4, 3]] },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void WindowsMirrorAboutTheCentreFrame(int count, int[][] expected)
    {
        for (int t = 0; t < count; t++) Assert.Equal(expected[t], TemporalWindow.Sources(t, count));
    }

    [Fact]
    public void InsideTheClipTheWindowIsTheOfficialOne()
    {
        // The official order t−2, t−1, t, t+1, t+2 (test_main.py feeds Xm2, Xm1, X0, Xp1, Xp2) wherever all exist.
        for (int t = 2; t < 98; t++) Assert.Equal([t - 2, t - 1, t, t + 1, t + 2], TemporalWindow.Sources(t, 100));
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void ThePipelineFeedsEachPositionFromTheFrameTheRuleNames(int count, int[][] expected)
    {
        // Frame i is uniformly gray at level 30i+10, so its luma identifies it; the stand-in passes position p through.
        var frames = Enumerable.Range(0, count).Select(i => LumaFrame.FromImage(StandIns.Gray((byte)(30 * i + 10), 8, 4), $"f{i}")).ToList();
        for (int p = 0; p < TemporalWindow.Size; p++)
        {
            var restorer = new LumaRestorer(StandIns.Pick(p), 4);
            var outputs = VideoRestoration.Restore(restorer, frames).ToList();
            Assert.Equal(count, outputs.Count);
            for (int t = 0; t < count; t++)
            {
                Assert.Equal($"f{t}", outputs[t].Name);
                Assert.Equal(frames[expected[t][p]].Luma, outputs[t].Luma);
                Assert.Equal(frames[t].Cb, outputs[t].Cb); // chroma always from the centre frame
            }
        }
    }

    [Fact]
    public void WindowsAreEmittedAsSoonAsTheirLastFrameIsRead()
    {
        int read = 0;
        IEnumerable<LumaFrame> Source()
        {
            for (int i = 0; i < 12; i++)
            {
                read++;
                yield return LumaFrame.FromImage(StandIns.Pattern(i, 8, 4), $"f{i}");
            }
        }
        int t = 0;
        foreach (var window in FrameWindows.Stream(Source()))
        {
            Assert.Equal(t, window.Index);
            // Frames 0 … t+2 have been read when frame t is emitted, and no more.
            Assert.InRange(read, Math.Min(12, t + 3), Math.Min(12, t + 3));
            t++;
        }
        Assert.Equal(12, t);
    }

    [Fact]
    public void FramesOfAnotherSizeAreRejected()
    {
        var frames = new[] { LumaFrame.FromImage(StandIns.Pattern(0, 8, 4), "a"), LumaFrame.FromImage(StandIns.Pattern(1, 8, 8), "b") };
        var e = Assert.Throws<InvalidDataException>(() => FrameWindows.Stream(frames).ToList());
        Assert.Contains("frame b is 8×8", e.Message);
    }
}
