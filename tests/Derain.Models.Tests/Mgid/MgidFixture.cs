using Derain.Data.Imaging;
using Derain.Models.Mgid;
using Derain.Models.Tests.Infrastructure;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Mgid;

/// <summary>
/// ../shared/fixtures/mgid (README there): the official convAE test branch run on two 256×256 photos with seeded
/// weights (top folder) and with an official-format random checkpoint (random/).
/// </summary>
public static class MgidFixture
{
    /// <summary>The fixture's tolerance (README: float64 differs by 1.8e-6; 1e-4 max-abs).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The rule table of ../shared/fixtures/mgid/README.md, transcribed from the README (not read from the manifest).</summary>
    public static IReadOnlyList<SeededRule> Rules { get; } =
    [
        new("M1", "memory_items", SeededDims.Any, 0, S: 0.5),
        new("C1", @".*\.running_var", SeededDims.Any, 1, S: 0.5),
        new("C2", @".*\.running_mean", SeededDims.Any, 0, S: 0.1),
        new("C3", @".*\.weight", SeededDims.One, 1, S: 0.1),
        new("C4", @".*\.bias", SeededDims.One, 0, S: 0.05),
        new("C5", ".*", SeededDims.TwoOrMore, 0, Gain: 2.5),
    ];

    public static string Root => Path.Combine(SharedData.Root, "fixtures", "mgid");

    /// <summary>The folder of the official-format checkpoint fixture.</summary>
    public static string RandomRoot => Path.Combine(Root, "random");

    /// <summary>True for the int64 BatchNorm counters the recipe skips (rule I0).</summary>
    public static bool IsInteger(string name) => name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    /// <summary>An MGID network (eval mode) holding the seeded weights and the seeded (not normalised) memory items.</summary>
    public static MgidNet SeededNet()
    {
        var net = new MgidNet(new Generator(0));
        var weights = SeededWeights.ForStateDict(net.StateDict(), Rules, IsInteger);
        var result = net.LoadStateDict(weights, strict: false);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Empty(result.ShapeMismatches);
        Assert.All(result.MissingKeys, k => Assert.True(IsInteger(k), $"{k} was not generated."));
        foreach (var t in weights.Values) t.Dispose();
        net.Eval();
        return net;
    }

    /// <summary>The fixture inputs in name order as MGID's loader makes them: BGR, x = (float)v / 127.5f − 1f, [1, 3, H, W] each.</summary>
    public static List<(string Name, Tensor Bgr)> Inputs(string folder)
    {
        var result = new List<(string, Tensor)>();
        foreach (var file in Directory.GetFiles(Path.Combine(folder, "in"), "*.png").Order(StringComparer.Ordinal))
            result.Add((Path.GetFileName(file), BgrMinus1To1(ImageFile.Read(file))));
        return result;
    }

    /// <summary>cv2.imread order (BGR) scaled as model/utils.py does, in float32: divide first, then subtract.</summary>
    public static Tensor BgrMinus1To1(Image image)
    {
        Assert.Equal(3, image.Channels);
        var bytes = image.ToBytes();
        int n = image.Height * image.Width;
        var data = new float[3 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                data[c * n + i] = bytes[3 * i + (2 - c)] / 127.5f - 1f;
        return Tensor.FromArray(data, 1, 3, image.Height, image.Width);
    }

    /// <summary>One image [3, H, W] of an (images, 3, H, W) .npy output.</summary>
    public static float[] Expected(NpyArray all, int image)
    {
        int per = all.Data.Length / all.Shape[0];
        return all.Data.AsSpan(image * per, per).ToArray().Select(v => (float)v).ToArray();
    }

    /// <summary>max |a − b|.</summary>
    /// <summary>
    /// Runs <paramref name="net"/>'s test branch on every input of <paramref name="folder"/> and asserts that the memory
    /// items, derained and streak outputs equal the folder's official ones (memory exactly, outputs within
    /// <see cref="Tolerance"/>); <paramref name="alsoCheck"/> gets each input's index, name and result for further checks.
    /// </summary>
    public static void AssertReproducesOfficialOutputs(MgidNet net, string folder, Xunit.Abstractions.ITestOutputHelper output,
        Action<int, string, MgidForward>? alsoCheck = null)
    {
        var memory = Npy.Read(Path.Combine(folder, "memory_items.npy"));
        Assert.Equal(0, MaxAbs(memory.Data.Select(v => (float)v).ToArray(), net.MemoryItems.Data.ToArray()));
        var derained = Npy.Read(Path.Combine(folder, "out_derained.npy"));
        var streak = Npy.Read(Path.Combine(folder, "out_streak.npy"));
        var inputs = Inputs(folder);
        Assert.Equal(2, inputs.Count);
        for (int k = 0; k < inputs.Count; k++)
        {
            using var scope = TensorScope.Begin();
            using var noGrad = GradMode.NoGrad();
            var result = net.Forward(inputs[k].Bgr);
            double dErr = MaxAbs(Expected(derained, k), result.Derained.ToArray());
            double sErr = MaxAbs(Expected(streak, k), result.Streak.ToArray());
            output.WriteLine($"{inputs[k].Name}: max |Δ| derained {dErr:G3}, streak {sErr:G3}");
            Assert.True(dErr <= Tolerance, $"{inputs[k].Name}: derained differs by {dErr:G3}.");
            Assert.True(sErr <= Tolerance, $"{inputs[k].Name}: streak differs by {sErr:G3}.");
            alsoCheck?.Invoke(k, inputs[k].Name, result);
        }
    }

    public static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, float.IsNaN(a[i]) ? double.PositiveInfinity : Math.Abs((double)a[i] - b[i]));
        return worst;
    }
}
