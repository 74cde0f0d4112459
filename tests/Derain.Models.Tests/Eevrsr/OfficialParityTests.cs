using Derain.Models.Eevrsr;
using Derain.NN.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Eevrsr;

/// <summary>
/// Layer-by-layer parity with an independent re-implementation of the official EEVRSR test code run on the official
/// checkpoints (../shared/fixtures/eevrsr, see its README: a 64×96 crop of real rain clip r1). Every intermediate the
/// fixture records is compared, so a mismatch names the first layer that differs.
/// </summary>
public sealed class OfficialParityTests
{
    /// <summary>
    /// The fixture README: float32 passes agree to ~1e-5 per tensor. Allowed: 3e-5·(1 + |value|), since dense-block
    /// activations reach ±30, with 3× headroom over the measured worst (1.05e-5 relative, on dense2 of EEVRSR_all).
    /// </summary>
    private const double Tolerance = 3e-5;

    private static readonly string[] Neighbours = ["m2", "m1", "p1", "p2"];

    public static TheoryData<string, string> Variants => new()
    {
        { "EEVRSR_all", "tiny_r1_64x96_all.npz" },
        { "EEVRSR_derain_only", "tiny_r1_64x96_derain_only.npz" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryRecordedLayerMatchesTheOfficialComputation(string checkpoint, string fixture)
    {
        var reference = Npy.ReadNpz(Path.Combine(SharedData.Root, "fixtures", "eevrsr", fixture));
        var net = EevrsrCheckpoint.Load(Path.Combine(SharedData.DataPath("weights", "eevrsr", checkpoint), "model.ckpt"));
        var input = reference["Y_in"];
        using var frames = Tensor.FromArray(input.Data.Select(v => (float)v).ToArray(), [1, .. input.Shape]);
        var seen = new List<string>();
        using (GradMode.NoGrad())
        {
            var result = net.ForwardDetailed(frames, (name, t) =>
            {
                if (name.StartsWith("mc_", StringComparison.Ordinal))
                {
                    // Batched neighbours [4, C, H, W] in the order t−2, t−1, t+1, t+2.
                    int per = t.NumElements / 4;
                    var all = t.ToArray();
                    for (int k = 0; k < 4; k++)
                    {
                        string key = $"mc_{Neighbours[k]}_{name[3..]}";
                        AssertClose(key, reference[key].Data, all.AsSpan(k * per, per).ToArray());
                        seen.Add(key);
                    }
                }
                else
                {
                    AssertClose(name, reference[name].Data, t.ToArray());
                    seen.Add(name);
                }
            });
            AssertClose("Y_out", reference["Y_out"].Data, result.Output.ToArray());
            seen.Add("Y_out");
        }
        // Everything the fixture holds except the input and the 8-bit RGB (checked by the pipeline tests) was compared.
        var unchecked_ = reference.Keys.Except(seen).Except(["Y_in", "rgb_u8"]).ToList();
        Assert.Empty(unchecked_);
    }

    [Fact]
    public void VariantIsDetectedFromTheCheckpoint()
    {
        var all = EevrsrCheckpoint.Load(Path.Combine(SharedData.DataPath("weights", "eevrsr", "EEVRSR_all"), "model.ckpt"));
        var derainOnly = EevrsrCheckpoint.Load(SharedData.DataPath("weights", "eevrsr", "EEVRSR_derain_only"));
        Assert.Equal(EevrsrVariant.All, all.Variant);
        Assert.Equal(EevrsrVariant.DerainOnly, derainOnly.Variant);
        // Spec: de-raining 54,409 trainable parameters (+1,260 BN statistics), motion compensation 121,896.
        Assert.Equal(54_409 + 121_896, all.ParameterCount(trainableOnly: true));
        Assert.Equal(54_409, derainOnly.ParameterCount(trainableOnly: true));
        long movingStats = all.NamedBuffers().Where(b => b.Name.Contains(".moving_", StringComparison.Ordinal)).Sum(b => (long)b.ModuleBuffer.Shape.NumElements);
        Assert.Equal(1_260, movingStats);
    }

    private static void AssertClose(string name, double[] expected, float[] actual)
    {
        Assert.True(expected.Length == actual.Length, $"{name}: {actual.Length} values, fixture has {expected.Length}.");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double excess = Math.Abs(expected[i] - actual[i]) / (1 + Math.Abs(expected[i]));
            if (excess > worst) { worst = excess; at = i; }
        }
        Assert.True(worst <= Tolerance, $"{name}: |difference|/(1 + |value|) reaches {worst:E3} at flat index {at} (fixture {expected[Math.Max(at, 0)]}, Derain {actual[Math.Max(at, 0)]}).");
    }
}
