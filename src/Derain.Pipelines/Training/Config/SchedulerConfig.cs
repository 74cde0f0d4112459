using System.Globalization;
using Derain.NN.Optim;

namespace Derain.Pipelines.Training.Config;

/// <summary>
/// <c>train.scheduler:</c> the learning-rate schedule (src/Derain.NN/Optim/LrSchedules.cs), chosen by its
/// <c>type</c> key; each type has its own keys, plus an optional linear warm-up (<c>warmup_iter</c>,
/// <c>warmup_ratio</c>). Schedules are closed-form functions of the iteration, so the iteration alone restores
/// them on resume; the checkpoint keeps <see cref="Describe"/> to notice a changed schedule.
/// </summary>
public abstract class SchedulerConfig
{
    /// <summary>The <c>type</c> names and the section class each selects (read by the binder).</summary>
    public static IReadOnlyDictionary<string, Type> Variants { get; } = new Dictionary<string, Type>
    {
        ["constant"] = typeof(ConstantSchedulerConfig),
        ["cosine"] = typeof(CosineSchedulerConfig),
        ["multistep"] = typeof(MultiStepSchedulerConfig),
        ["cosine_restart"] = typeof(CosineRestartSchedulerConfig),
    };

    protected SchedulerConfig(long warmupIter, double warmupRatio)
    {
        if (warmupIter < 0) throw new ConfigValueException("warmup_iter", $"must be ≥ 0, not {warmupIter}");
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new ConfigValueException("warmup_ratio", $"must be in [0, 1], not {warmupRatio}");
        WarmupIter = warmupIter;
        WarmupRatio = warmupRatio;
    }

    /// <summary>Iterations of linear warm-up (mmcv warmup='linear'); 0 for none.</summary>
    public long WarmupIter { get; }

    /// <summary>The warm-up starts at this fraction of the scheduled rate.</summary>
    public double WarmupRatio { get; }

    /// <summary>The schedule for a run of <paramref name="totalIter"/> iterations.</summary>
    public ILrSchedule Build(long totalIter)
    {
        var core = Core(totalIter);
        return WarmupIter > 0 ? new LinearWarmup(core, WarmupIter, WarmupRatio) : core;
    }

    /// <summary>The schedule without warm-up.</summary>
    protected abstract ILrSchedule Core(long totalIter);

    /// <summary>A one-line description with every parameter (kept in checkpoints).</summary>
    public string Describe(long totalIter)
        => string.Create(CultureInfo.InvariantCulture, $"{Parameters(totalIter)}, warmup_iter={WarmupIter}, warmup_ratio={WarmupRatio:R}");

    protected abstract string Parameters(long totalIter);
}

/// <summary><c>type: constant</c> — the base rate throughout.</summary>
public sealed class ConstantSchedulerConfig(long warmupIter = 0, double warmupRatio = 0.001) : SchedulerConfig(warmupIter, warmupRatio)
{
    protected override ILrSchedule Core(long totalIter) => new ConstantLr();

    protected override string Parameters(long totalIter) => "constant";
}

/// <summary><c>type: cosine</c> — CosineAnnealingLR over <c>t_max</c> iterations (default: the whole run) down to <c>eta_min</c>.</summary>
public sealed class CosineSchedulerConfig : SchedulerConfig
{
    public CosineSchedulerConfig(long? tMax = null, double etaMin = 0, long warmupIter = 0, double warmupRatio = 0.001)
        : base(warmupIter, warmupRatio)
    {
        if (tMax is < 1) throw new ConfigValueException("t_max", $"must be at least 1 iteration, not {tMax}; leave it out to use total_iter");
        if (!(etaMin >= 0)) throw new ConfigValueException("eta_min", $"must be ≥ 0, not {etaMin}");
        TMax = tMax;
        EtaMin = etaMin;
    }

    public long? TMax { get; }

    public double EtaMin { get; }

    protected override ILrSchedule Core(long totalIter) => new CosineAnnealingLr(TMax ?? totalIter, EtaMin);

    protected override string Parameters(long totalIter)
        => string.Create(CultureInfo.InvariantCulture, $"cosine t_max={TMax ?? totalIter} eta_min={EtaMin:R}");
}

/// <summary><c>type: multistep</c> — MultiStepLR: the rate is multiplied by <c>gamma</c> at each milestone.</summary>
public sealed class MultiStepSchedulerConfig : SchedulerConfig
{
    public MultiStepSchedulerConfig(IReadOnlyList<long> milestones, double gamma = 0.5, long warmupIter = 0, double warmupRatio = 0.001)
        : base(warmupIter, warmupRatio)
    {
        if (milestones.Count == 0 || milestones.Any(m => m < 1))
            throw new ConfigValueException("milestones", "must list iterations ≥ 1, e.g. [50000, 80000]");
        if (!(gamma > 0)) throw new ConfigValueException("gamma", $"must be positive, not {gamma}");
        Milestones = milestones;
        Gamma = gamma;
    }

    public IReadOnlyList<long> Milestones { get; }

    public double Gamma { get; }

    protected override ILrSchedule Core(long totalIter) => new StepLr(Milestones.ToArray(), Gamma);

    protected override string Parameters(long totalIter)
        => string.Create(CultureInfo.InvariantCulture, $"multistep milestones=[{string.Join(",", Milestones)}] gamma={Gamma:R}");
}

/// <summary>
/// <c>type: cosine_restart</c> — BasicSR's CosineAnnealingRestartLR: cosine periods (<c>periods</c>, summing to the
/// run's length or less), each restarting at <c>restart_weights</c>[i] × the base rate, down to <c>eta_min</c>.
/// </summary>
public sealed class CosineRestartSchedulerConfig : SchedulerConfig
{
    public CosineRestartSchedulerConfig(IReadOnlyList<long> periods, IReadOnlyList<double>? restartWeights = null, double etaMin = 0,
        long warmupIter = 0, double warmupRatio = 0.001)
        : base(warmupIter, warmupRatio)
    {
        if (periods.Count == 0 || periods.Any(p => p < 1)) throw new ConfigValueException("periods", "must list positive period lengths, e.g. [50000, 50000]");
        restartWeights ??= Enumerable.Repeat(1.0, periods.Count).ToArray();
        if (restartWeights.Count != periods.Count)
            throw new ConfigValueException("restart_weights", $"has {restartWeights.Count} values but periods has {periods.Count}; give one weight per period");
        if (!(etaMin >= 0)) throw new ConfigValueException("eta_min", $"must be ≥ 0, not {etaMin}");
        Periods = periods;
        RestartWeights = restartWeights;
        EtaMin = etaMin;
    }

    public IReadOnlyList<long> Periods { get; }

    public IReadOnlyList<double> RestartWeights { get; }

    public double EtaMin { get; }

    protected override ILrSchedule Core(long totalIter) => new CosineRestartLr(Periods.ToArray(), RestartWeights.ToArray(), minLr: EtaMin);

    protected override string Parameters(long totalIter)
        => string.Create(CultureInfo.InvariantCulture,
            $"cosine_restart periods=[{string.Join(",", Periods)}] restart_weights=[{string.Join(",", RestartWeights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))}] eta_min={EtaMin:R}");
}
