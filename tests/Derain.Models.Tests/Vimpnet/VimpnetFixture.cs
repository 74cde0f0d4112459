using Derain.Data.Imaging;
using Derain.Models.Tests.Infrastructure;
using Derain.Models.Vimpnet;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;

namespace Derain.Models.Tests.Vimpnet;

/// <summary>
/// ../shared/fixtures/vimpnet (README there): the official ViMPNet(64, 9) forward on one 5-frame 256×256 clip with
/// seeded weights, float32 on CPU.
/// </summary>
public static class VimpnetFixture
{
    /// <summary>The fixture's tolerance (README: float64 differs by at most 1.7e-6; 1e-4 max-abs).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The rule table of ../shared/fixtures/vimpnet/README.md, transcribed from the README (not read from the manifest).</summary>
    public static IReadOnlyList<SeededRule> Rules { get; } =
    [
        new("V1", @"spynet\.(mean|std)", SeededDims.Any, 0, Skip: true),
        new("V2", @"spynet\.basic_module\.[0-9]+\.basic_module\.4\.conv\.weight", SeededDims.TwoOrMore, 0, Gain: 6),
        new("V3", @"spynet\.basic_module\.[0-9]+\.basic_module\.4\.conv\.bias", SeededDims.One, 0, S: 0.01),
        new("V4", @"deform_align\.[^.]+\.conv_offset\.6\.weight", SeededDims.TwoOrMore, 0, Gain: 3),
        new("V5", @"deform_align\.[^.]+\.conv_offset\.6\.bias", SeededDims.One, 0, S: 0.01),
        new("V6", @"S_mask_streak\.4\.weight", SeededDims.TwoOrMore, 0, Gain: 100),
        new("V7", @"S_mask_drop\.4\.weight", SeededDims.TwoOrMore, 0, Gain: 60),
        new("V8", @"conv_last\.weight", SeededDims.TwoOrMore, 0, Gain: 4),
        new("C1", @".*\.running_var", SeededDims.Any, 1, S: 0.5),
        new("C2", @".*\.running_mean", SeededDims.Any, 0, S: 0.1),
        new("C3", @".*\.weight", SeededDims.One, 1, S: 0.1),
        new("C4", @".*\.bias", SeededDims.One, 0, S: 0.05),
        new("C5", ".*", SeededDims.TwoOrMore, 0, Gain: 1),
    ];

    public static string Root => Path.Combine(SharedData.Root, "fixtures", "vimpnet");

    /// <summary>The seeded state dict of a ViMP-Net (every tensor but the two SPyNet constants, which the recipe skips).</summary>
    public static Dictionary<string, Tensor> SeededState(VimpnetNet net) => SeededWeights.ForStateDict(net.StateDict(), Rules, _ => false);

    /// <summary>A ViMP-Net (eval mode) holding the seeded weights.</summary>
    public static VimpnetNet SeededNet()
    {
        var net = new VimpnetNet(new Generator(0));
        var weights = SeededState(net);
        var result = net.LoadStateDict(weights, strict: false);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Empty(result.ShapeMismatches);
        Assert.Equal(["spynet.mean", "spynet.std"], result.MissingKeys);
        foreach (var t in weights.Values) t.Dispose();
        net.Eval();
        return net;
    }

    /// <summary>The five input frames as the official test pipeline makes them: x[0, t, c, y, x] = png[y, x, c] / 255f.</summary>
    public static Tensor Input()
    {
        var files = Directory.GetFiles(Path.Combine(Root, "in"), "*.png").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(5, files.Count);
        var first = ImageFile.Read(files[0]);
        int h = first.Height, w = first.Width, n = h * w;
        var data = new float[files.Count * 3 * n];
        for (int t = 0; t < files.Count; t++)
        {
            var image = ImageFile.Read(files[t]);
            Assert.Equal(3, image.Channels);
            var bytes = image.ToBytes();
            for (int i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    data[(t * 3 + c) * n + i] = bytes[3 * i + c] / 255f;
        }
        return Tensor.FromArray(data, 1, files.Count, 3, h, w);
    }

    /// <summary>max |a − b| (NaN counts as infinite).</summary>
    public static double MaxAbs(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, float.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs((double)expected[i] - actual[i]));
        return worst;
    }
}
