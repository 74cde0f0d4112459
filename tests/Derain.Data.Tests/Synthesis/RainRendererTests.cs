using System.Runtime.InteropServices;
using Derain.Data.Synthesis;

namespace Derain.Data.Tests.Synthesis;

public class RainRendererTests
{
    private const int W = 320, H = 180;

    private static RainOptions Mixed => RainPresets.Get(RainPreset.Mixed) with { VeilDensity = 0 };

    private static List<RainFrame> Render(RainOptions options, ulong seed, int frames, float[]? clean = null)
    {
        var renderer = new RainRenderer(options, W, H, seed);
        var scene = clean ?? SynthTestFrames.Scene(W, H);
        return Enumerable.Range(0, frames).Select(_ => renderer.Render(scene)).ToList();
    }

    private static byte[] Bytes(RainFrame f) =>
        [.. MemoryMarshal.AsBytes(f.Rainy.AsSpan()), .. MemoryMarshal.AsBytes(f.DropsOnly.AsSpan()),
         .. MemoryMarshal.AsBytes(f.DropMask.AsSpan()), .. MemoryMarshal.AsBytes(f.StreakMap.AsSpan())];

    [Fact]
    public void SameSeedRendersIdenticalFrames()
    {
        var options = RainPresets.Get(RainPreset.Mixed) with { WindSway = 1 };
        var a = Render(options, 42, 4);
        var b = Render(options, 42, 4);
        for (int i = 0; i < a.Count; i++) Assert.Equal(Bytes(a[i]), Bytes(b[i]));
    }

    [Fact]
    public void TheThreadCountDoesNotChangeAByte()
    {
        var options = RainPresets.Get(RainPreset.Mixed) with { VeilDensity = 0.1 };
        List<RainFrame> one, three;
        using (SynthesisParallel.WithThreads(1)) one = Render(options, 6, 3);
        using (SynthesisParallel.WithThreads(3)) three = Render(options, 6, 3);
        for (int i = 0; i < one.Count; i++) Assert.Equal(Bytes(one[i]), Bytes(three[i]));
    }

    [Fact]
    public void DifferentSeedRendersDifferentFrames()
    {
        var a = Render(Mixed, 1, 2);
        var b = Render(Mixed, 2, 2);
        Assert.NotEqual(Bytes(a[1]), Bytes(b[1]));
        Assert.NotEqual(a[1].StreakMap, b[1].StreakMap);
        Assert.NotEqual(a[1].DropMask, b[1].DropMask);
    }

    [Fact]
    public void RainyEqualsCleanWhereMaskAndStreakMapAreZero()
    {
        int checkedPixels = 0;
        foreach (var f in Render(Mixed, 3, 4))
        {
            for (int i = 0; i < W * H; i++)
            {
                if (f.DropMask[i] != 0 || SynthTestFrames.Byte(f.StreakMap[i]) != 0) continue;
                checkedPixels++;
                for (int c = 0; c < 3; c++)
                    Assert.Equal(f.Clean[c * W * H + i], f.Rainy[c * W * H + i]);
            }
        }
        Assert.True(checkedPixels > W * H, "most pixels are rain-free"); // over four frames
    }

    [Fact]
    public void StreakMapZeroMeansRainyEqualsDropFrameEvenWithVeil()
    {
        foreach (var options in new[] { Mixed, RainPresets.Get(RainPreset.Heavy) with { VeilDensity = 0.002 } })
        {
            int zeros = 0;
            foreach (var f in Render(options, 5, 3))
            {
                for (int i = 0; i < W * H; i++)
                {
                    if (SynthTestFrames.Byte(f.StreakMap[i]) != 0) continue;
                    zeros++;
                    for (int c = 0; c < 3; c++)
                        Assert.Equal(f.DropsOnly[c * W * H + i], f.Rainy[c * W * H + i]);
                }
            }
            Assert.True(zeros > 1000, $"the streak map has zero pixels to check ({zeros})");
        }
    }

    [Fact]
    public void DropFrameDiffersFromCleanOnlyInsideTheDilatedTightMask()
    {
        // A tight mask (coverage ≥ 0.4) misses the defocused halo, which is at most the blur radius wide.
        var options = RainPresets.Get(RainPreset.Drops) with { DropMaskThreshold = 0.4 };
        int blur = (int)Math.Ceiling(options.DropBlur * RainOptions.ScaleFor(H));
        int differing = 0, masked = 0;
        foreach (var f in Render(options, 9, 4))
        {
            var near = SynthTestFrames.Dilate(f.DropMask, W, H, blur + 1);
            for (int i = 0; i < W * H; i++)
            {
                masked += f.DropMask[i] > 0 ? 1 : 0;
                bool differs = false;
                for (int c = 0; c < 3; c++) differs |= SynthTestFrames.Byte(f.DropsOnly[c * W * H + i]) != SynthTestFrames.Byte(f.Clean[c * W * H + i]);
                if (!differs) continue;
                differing++;
                Assert.True(near[i], $"pixel {i % W},{i / W} changed by a drop lies outside the dilated mask");
            }
        }
        Assert.True(differing > 500 && masked > 500, $"drops changed {differing} pixels, mask holds {masked}");
    }

    [Fact]
    public void DropsOnlyFrameHasNoStreaks()
    {
        var options = RainPresets.Get(RainPreset.Heavy) with { DropCount = 0, VeilDensity = 0 };
        var f = Render(options, 4, 1)[0];
        Assert.Equal(f.Clean, f.DropsOnly);
        Assert.All(f.DropMask, m => Assert.Equal(0f, m));
        Assert.Contains(f.StreakMap, b => b > 0.05f);
    }

    [Fact]
    public void StreaksBrightenDarkBackgroundsMoreThanBrightOnes()
    {
        // Garg & Nayar: I = (1 − β)·I_b + β·E, so the change β·(E − I_b) shrinks as the background brightens.
        var options = RainPresets.Get(RainPreset.Heavy) with { VeilDensity = 0, WindAngle = 0 };
        var clean = SynthTestFrames.Halves(W, H, 0.1f, 0.8f);
        var f = Render(options, 11, 1, clean)[0];
        double darkGain = 0, brightGain = 0;
        int darkCount = 0, brightCount = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = y * W + x;
                if (f.StreakMap[i] < 0.05f || Math.Abs(x - W / 2) < 4) continue;
                double gain = f.Rainy[W * H + i] - clean[W * H + i]; // green
                if (x < W / 2) { darkGain += gain; darkCount++; } else { brightGain += gain; brightCount++; }
            }
        Assert.True(darkCount > 200 && brightCount > 200);
        darkGain /= darkCount;
        brightGain /= brightCount;
        Assert.True(darkGain > 0.03, $"streaks brighten a dark background ({darkGain:F3})");
        Assert.True(darkGain > brightGain + 0.03, $"dark gains {darkGain:F3}, bright {brightGain:F3}");
    }

    [Theory]
    [InlineData(-25.0)]
    [InlineData(0.0)]
    [InlineData(12.0)]
    public void StreakOrientationMatchesTheWindAngle(double angle)
    {
        var options = RainPresets.Get(RainPreset.Light) with { WindAngle = angle, WindSway = 0, WindJitter = 1 };
        var f = Render(options, 21, 1)[0];
        double measured = StructureTensorAngle(f.StreakMap, W, H);
        Assert.InRange(measured, angle - 3, angle + 3);
    }

    /// <summary>
    /// Dominant streak direction from the structure tensor J = Σ∇I∇Iᵀ: gradients run across streaks, so the
    /// gradient orientation φ = ½·atan2(2Jxy, Jxx − Jyy) is perpendicular to them; for a fall direction
    /// (sin θ, cos θ) in image coordinates (y down) φ = −θ. The map is smoothed first: central differences damp
    /// high frequencies along x and y unequally, which would tilt the estimate for one-pixel-wide lines.
    /// </summary>
    private static double StructureTensorAngle(float[] raw, int width, int height)
    {
        var map = Smooth(raw, width, height, 2, 3);
        double jxx = 0, jyy = 0, jxy = 0;
        for (int y = 1; y < height - 1; y++)
            for (int x = 1; x < width - 1; x++)
            {
                double gx = 0.5 * (map[y * width + x + 1] - map[y * width + x - 1]);
                double gy = 0.5 * (map[(y + 1) * width + x] - map[(y - 1) * width + x]);
                jxx += gx * gx;
                jyy += gy * gy;
                jxy += gx * gy;
            }
        double phi = 0.5 * Math.Atan2(2 * jxy, jxx - jyy) * 180 / Math.PI;
        return -phi;
    }

    /// <summary>Repeated separable box blur (≈ Gaussian), clamped at the borders.</summary>
    private static float[] Smooth(float[] map, int width, int height, int radius, int passes)
    {
        var a = (float[])map.Clone();
        var b = new float[a.Length];
        for (int p = 0; p < passes; p++)
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float s = 0;
                    for (int k = -radius; k <= radius; k++) s += a[y * width + Math.Clamp(x + k, 0, width - 1)];
                    b[y * width + x] = s / (2 * radius + 1);
                }
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float s = 0;
                    for (int k = -radius; k <= radius; k++) s += b[Math.Clamp(y + k, 0, height - 1) * width + x];
                    a[y * width + x] = s / (2 * radius + 1);
                }
        }
        return a;
    }

    [Fact]
    public void CoveredAreaGrowsWithStreakDensity()
    {
        double previous = -1;
        foreach (double density in new[] { 2.0, 6.0, 18.0, 54.0 })
        {
            var options = RainPresets.Get(RainPreset.Light) with { StreakDensity = density };
            var f = Render(options, 8, 1)[0];
            double covered = f.StreakMap.Count(b => b > 0.02f) / (double)(W * H);
            Assert.True(covered > previous, $"density {density}: covered {covered:P2} after {previous:P2}");
            previous = covered;
        }
    }

    [Fact]
    public void MaskedAreaGrowsWithDropCount()
    {
        double previous = -1;
        foreach (double count in new[] { 5.0, 20.0, 60.0 })
        {
            var options = RainPresets.Get(RainPreset.Drops) with { DropCount = count };
            var f = Render(options, 8, 1)[0];
            double covered = f.DropMask.Average();
            Assert.True(covered > previous, $"{count} drops: covered {covered:P2} after {previous:P2}");
            previous = covered;
        }
    }

    [Fact]
    public void DropsPersistAcrossFramesAndSlideDown()
    {
        var options = RainPresets.Get(RainPreset.Drops) with { DropSlideRadius = 10, DropRadiusMax = 30 };
        var renderer = new RainRenderer(options, W, H, 13);
        var scene = SynthTestFrames.Scene(W, H);
        float[]? previousMask = null;
        Dictionary<int, double>? previousY = null;
        double iouSum = 0, slideSum = 0;
        int pairs = 0, tracked = 0;
        for (int t = 0; t < 12; t++)
        {
            var f = renderer.Render(scene);
            var ys = renderer.Drops.ToDictionary(d => d.Id, d => d.Y);
            if (previousMask is not null)
            {
                int inter = 0, union = 0;
                for (int i = 0; i < W * H; i++)
                {
                    bool a = previousMask[i] > 0, b = f.DropMask[i] > 0;
                    inter += a && b ? 1 : 0;
                    union += a || b ? 1 : 0;
                }
                iouSum += inter / (double)union;
                pairs++;
                foreach (var (id, y) in ys)
                    if (previousY!.TryGetValue(id, out double before)) { slideSum += y - before; tracked++; }
            }
            previousMask = f.DropMask;
            previousY = ys;
        }
        Assert.True(iouSum / pairs > 0.8, $"mean IoU of consecutive drop masks {iouSum / pairs:F3}");
        Assert.True(tracked > 50);
        Assert.True(slideSum / tracked > 0.05, $"mean vertical step of persisting drops {slideSum / tracked:F3} px");
    }
}
