using Derain.Data.Synthesis;

namespace Derain.Data.Tests.Synthesis;

public class RainOptionsTests
{
    [Fact]
    public void EveryPresetIsValidAndTheyDiffer()
    {
        var presets = RainPresets.Names.Select(n => RainPresets.Get(RainPresets.Parse(n))).ToList();
        foreach (var p in presets) p.Validate();
        Assert.Equal(presets.Count, presets.Distinct().Count());
        Assert.Equal(0, RainPresets.Get(RainPreset.Drops).StreakDensity);
        Assert.Equal(0, RainPresets.Get(RainPreset.Light).DropCount);
        Assert.True(RainPresets.Get(RainPreset.Heavy).StreakDensity > RainPresets.Get(RainPreset.Light).StreakDensity);
    }

    [Fact]
    public void EveryKeyRoundTripsThroughSetAndGet()
    {
        var options = RainPresets.Get(RainPreset.Mixed);
        foreach (var key in RainOptionKeys.All)
        {
            var changed = RainOptionKeys.Apply(options, $"{key.Name}=3");
            Assert.Equal("3", key.Get(changed));
            // Only that key changed.
            foreach (var other in RainOptionKeys.All.Where(k => k != key))
                Assert.Equal(other.Get(options), other.Get(changed));
        }
        Assert.Equal(RainOptionKeys.All.Count, RainOptionKeys.All.Select(k => k.Name).Distinct().Count());
    }

    [Fact]
    public void WindAngleCanGoBackToRandom()
    {
        var fixedAngle = RainOptionKeys.Apply(RainPresets.Get(RainPreset.Light), "wind.angle=-12.5");
        Assert.Equal(-12.5, fixedAngle.WindAngle);
        Assert.Null(RainOptionKeys.Apply(fixedAngle, "WIND.ANGLE = random").WindAngle);
    }

    [Fact]
    public void ARandomWindAngleStaysWithinTheRangeAndFollowsTheSeed()
    {
        var options = RainPresets.Get(RainPreset.Light) with { WindRange = 20 };
        var angles = Enumerable.Range(0, 40).Select(s => new RainRenderer(options, 64, 36, (ulong)s).WindDegrees).ToList();
        Assert.All(angles, a => Assert.InRange(a, -20, 20));
        Assert.True(angles.Distinct().Count() > 35);
        Assert.Equal(angles[3], new RainRenderer(options, 64, 36, 3).WindDegrees);
    }
}
