namespace Derain.NN.Optim;

/// <summary>A learning-rate schedule: the rate for a 0-based iteration, given the base rate.</summary>
public interface ILrSchedule
{
    /// <summary>The learning rate at iteration <paramref name="iteration"/>.</summary>
    double LearningRate(double baseLr, long iteration);
}

/// <summary>The base rate throughout.</summary>
public sealed class ConstantLr : ILrSchedule
{
    public double LearningRate(double baseLr, long iteration) => baseLr;
}

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingLR in closed form over <paramref name="tMax"/> iterations:
/// η_min + (η_base − η_min)·(1 + cos(π·t/T_max))/2, held at η_min after T_max.
/// </summary>
public sealed class CosineAnnealingLr(long tMax, double etaMin = 0) : ILrSchedule
{
    public double LearningRate(double baseLr, long iteration)
    {
        double t = Math.Min(iteration, tMax);
        return etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;
    }
}

/// <summary>
/// mmcv's CosineRestart policy (by iteration), as ViMP-Net's and BasicVSR's configs use it: the iterations
/// are cut into <c>periods</c>; within period i (starting at iteration s_i) the rate is
/// target + ½·w_i·(base − target)·(1 + cos(π·min((t − s_i)/period_i, 1))), with w_i the restart weight and the
/// target either <c>minLr</c> or base·<c>minLrRatio</c>. Past the last period it is an error in mmcv; here the
/// last period's end value holds.
/// </summary>
public sealed class CosineRestartLr : ILrSchedule
{
    private readonly long[] _periods;
    private readonly double[] _weights;
    private readonly double? _minLr;
    private readonly double? _minLrRatio;

    public CosineRestartLr(long[] periods, double[]? restartWeights = null, double? minLr = null, double? minLrRatio = null)
    {
        if (periods.Length == 0 || periods.Any(p => p <= 0)) throw new ArgumentException("CosineRestart needs positive periods.");
        restartWeights ??= Enumerable.Repeat(1.0, periods.Length).ToArray();
        if (restartWeights.Length != periods.Length)
            throw new ArgumentException($"CosineRestart: {periods.Length} periods but {restartWeights.Length} restart weights.");
        if (minLr is null == minLrRatio is null)
            throw new ArgumentException("CosineRestart: give exactly one of minLr and minLrRatio.");
        _periods = periods;
        _weights = restartWeights;
        _minLr = minLr;
        _minLrRatio = minLrRatio;
    }

    public double LearningRate(double baseLr, long iteration)
    {
        double target = _minLr ?? baseLr * _minLrRatio!.Value;
        long start = 0;
        int idx = 0;
        while (idx < _periods.Length - 1 && iteration >= start + _periods[idx]) { start += _periods[idx]; idx++; }
        double alpha = Math.Min((double)(iteration - start) / _periods[idx], 1.0);
        return target + 0.5 * _weights[idx] * (baseLr - target) * (Math.Cos(Math.PI * alpha) + 1);
    }
}

/// <summary>torch.optim.lr_scheduler.MultiStepLR (StepLR when given one step size): base·γ^(milestones passed).</summary>
public sealed class StepLr : ILrSchedule
{
    private readonly long[] _milestones;
    private readonly long _stepSize;
    private readonly double _gamma;

    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> iterations (StepLR).</summary>
    public StepLr(long stepSize, double gamma = 0.1) { _stepSize = stepSize; _gamma = gamma; _milestones = []; }

    /// <summary>Decays by <paramref name="gamma"/> at each milestone (MultiStepLR).</summary>
    public StepLr(long[] milestones, double gamma = 0.1) { _milestones = milestones.Order().ToArray(); _gamma = gamma; }

    public double LearningRate(double baseLr, long iteration)
    {
        long n = _milestones.Length > 0 ? _milestones.Count(m => iteration >= m) : iteration / _stepSize;
        return baseLr * Math.Pow(_gamma, n);
    }
}

/// <summary>
/// Linear warm-up in front of another schedule (mmcv warmup='linear'): for t &lt; warmupIters the rate is
/// regular·(1 − (1 − t/warmupIters)·(1 − warmupRatio)); afterwards the inner schedule's rate.
/// </summary>
public sealed class LinearWarmup(ILrSchedule inner, long warmupIters, double warmupRatio) : ILrSchedule
{
    public double LearningRate(double baseLr, long iteration)
    {
        double regular = inner.LearningRate(baseLr, iteration);
        if (iteration >= warmupIters) return regular;
        double k = (1 - (double)iteration / warmupIters) * (1 - warmupRatio);
        return regular * (1 - k);
    }
}
