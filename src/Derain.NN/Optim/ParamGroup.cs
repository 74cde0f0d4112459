using Derain.NN.Modules;

namespace Derain.NN.Optim;

/// <summary>
/// A set of parameters sharing optimiser settings (a torch.optim param_group). The effective learning rate
/// is the schedule's rate × <see cref="LrMultiplier"/> (mmcv paramwise_cfg lr_mult, e.g. 0.25 for ViMP-Net's
/// SPyNet); parameters are left untouched while the step count is below <see cref="FrozenUntilStep"/>
/// (BasicVSR-style fix_iter: SPyNet frozen for the first 5,000 iterations).
/// </summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<Parameter> parameters, string name = "default")
    {
        Parameters = parameters.ToList();
        Name = name;
    }

    /// <summary>A label for logs and the training state file.</summary>
    public string Name { get; }

    /// <summary>The parameters, in a fixed order (optimiser state is matched by position on resume).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Multiplies the scheduled learning rate for this group.</summary>
    public double LrMultiplier { get; init; } = 1.0;

    /// <summary>Weight decay for this group (null: the optimiser's default).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Steps (0-based count of completed steps) before which the group is not updated.</summary>
    public long FrozenUntilStep { get; init; }

    /// <summary>The learning rate the last step used (schedule × multiplier).</summary>
    public double CurrentLr { get; internal set; }
}
