using Derain.NN.Optim;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.NN.Tests.Optim;

public class LrScheduleTests
{
    private static double[] Trace(ILrSchedule s, int n) => Enumerable.Range(0, n).Select(t => s.LearningRate(0.1, t)).ToArray();

    [Fact]
    public void Cosine_step_and_multistep_match_torch_schedulers()
    {
        var g = Golden.Load("optim", "schedules");
        Golden.AssertClose(g["cosine"].Data, Trace(new CosineAnnealingLr(20, 1e-3), 20), 1e-9, 1e-12, "cosine");
        Golden.AssertClose(g["step"].Data, Trace(new StepLr(4, 0.5), 20), 1e-12, 1e-15, "step");
        Golden.AssertClose(g["multistep"].Data, Trace(new StepLr([3L, 7L, 15L], 0.3), 20), 1e-12, 1e-15, "multistep");
    }

    [Fact]
    public void Cosine_restart_follows_mmcv_periods_weights_and_min_lr()
    {
        // mmcv CosineRestart: periods [10, 20], restart weights [1, 0.5], min_lr 1e-3.
        var s = new CosineRestartLr([10, 20], [1, 0.5], minLr: 1e-3);
        Assert.Equal(0.1, s.LearningRate(0.1, 0), 12);                                  // cycle 1 starts at base
        Assert.Equal(1e-3 + 0.5 * (0.1 - 1e-3), s.LearningRate(0.1, 5), 12);            // half way: midpoint
        Assert.Equal(1e-3 + 0.5 * 0.5 * (0.1 - 1e-3) * 2, s.LearningRate(0.1, 10), 12); // restart at weight 0.5
        Assert.Equal(1e-3 + 0.25 * (0.1 - 1e-3) * (Math.Cos(Math.PI * 0.5) + 1), s.LearningRate(0.1, 20), 12);
        Assert.Equal(1e-3, s.LearningRate(0.1, 30), 12);                                // end of the last cycle
        var ratio = new CosineRestartLr([4], minLrRatio: 0.1);
        Assert.Equal(0.01, ratio.LearningRate(0.1, 4), 12);
    }

    [Fact]
    public void Linear_warmup_ramps_from_the_ratio_to_the_schedule()
    {
        var s = new LinearWarmup(new ConstantLr(), 10, 0.001);
        Assert.Equal(0.1 * 0.001, s.LearningRate(0.1, 0), 12);
        Assert.Equal(0.1 * (1 - 0.5 * 0.999), s.LearningRate(0.1, 5), 12);
        Assert.Equal(0.1, s.LearningRate(0.1, 10), 12);
    }
}
