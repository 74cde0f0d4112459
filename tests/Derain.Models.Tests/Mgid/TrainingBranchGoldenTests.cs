using Derain.Models.Mgid;
using Derain.Models.Tests.Infrastructure;
using Derain.NN.Losses;
using Derain.Tensors;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Mgid;

/// <summary>
/// The official training branch (pair step, memory read + update, gathering/spreading losses, BatchNorm in training
/// mode, gradients) against float64 golden vectors from the independent PyTorch port (tools/golden/mgid.py, which
/// documents the loss used for the gradients).
/// </summary>
public sealed class TrainingBranchGoldenTests
{
    private static readonly string[] GradNames =
    [
        "encoder.moduleConv1.0.weight", "encoder.moduleConv4.3.weight", "decoder.moduleConv.0.weight",
        "decoder.moduleUpsample4.0.weight", "decoder.moduleDeconv1.6.bias",
    ];

    [Fact]
    public void PairStepMatchesTheReference()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "mgid", "train_pair.npz");
        Assert.True(File.Exists(path), "Fixtures/mgid/train_pair.npz is missing; regenerate with /usr/bin/python3 tools/golden/mgid.py.");
        var g = Npy.ReadNpz(path);
        var net = MgidFixture.SeededNet();
        net.Train();
        using var scope = TensorScope.Begin();
        var x1 = g["x1"].ToTensor();
        var x2 = g["x2"].ToTensor();
        var pair = net.ForwardTrainingPair(x1, x2, g["memory_in"].ToTensor());
        var (a, b) = (pair.First, pair.Second);

        // Float32 against float64 through ~20 layers with batch statistics: 1e-4 of each tensor's magnitude.
        const double rtol = 1e-4;
        EevrsrGolden.AssertClose(g["d1"], a.Derained, rtol, "d1");
        EevrsrGolden.AssertClose(g["s1"], a.Streak, rtol, "s1");
        EevrsrGolden.AssertClose(g["q1"], a.Query, rtol, "q1");
        EevrsrGolden.AssertClose(g["d2"], b.Derained, rtol, "d2");
        EevrsrGolden.AssertClose(g["s2"], b.Streak, rtol, "s2");
        EevrsrGolden.AssertClose(g["q2"], b.Query, rtol, "q2");
        EevrsrGolden.AssertClose(g["memory1"], a.UpdatedMemory, rtol, "memory after frame 1");
        EevrsrGolden.AssertClose(g["memory2"], pair.UpdatedMemory, rtol, "memory after frame 2");
        Assert.False(a.UpdatedMemory.RequiresGrad);
        EevrsrGolden.AssertClose(g["gathering1"], a.GatheringLoss, rtol, "gathering 1");
        EevrsrGolden.AssertClose(g["gathering2"], pair.GatheringLoss, rtol, "gathering 2");
        Assert.Equal(g["spreading1"].Data[0], a.SpreadingLoss!.Value, 1e-4);
        Assert.Equal(g["spreading2"].Data[0], b.SpreadingLoss!.Value, 1e-4);

        var loss = Loss.L1(a.Derained, x2) + Loss.L1(b.Derained + a.Streak, x1) + 0.01 * pair.GatheringLoss + 0.1 * Ops.Mean(Ops.Square(a.Query));
        EevrsrGolden.AssertClose(g["loss"], loss, rtol, "loss");
        loss.Backward();
        var parameters = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var name in GradNames)
            EevrsrGolden.AssertClose(g["grad." + name], parameters[name].Grad!, 1e-3, "gradient of " + name);
        EevrsrGolden.AssertClose(g["running_mean"], net.StateDict()["encoder.moduleConv1.1.running_mean"], rtol, "running mean after two frames");
    }
}
