using Derain.Tensors;

namespace Derain.NN.Optim;

/// <summary>
/// Base of the optimisers (torch.optim.Optimizer): parameter groups, the learning rate set each step by the
/// trainer (or a schedule), per-parameter state kept as plain float arrays, and a state that can be saved and
/// restored so training resumes exactly.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<ParamGroup> groups, double lr)
    {
        Groups = groups.ToList();
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("The optimiser got no parameters.");
        Lr = lr;
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>The base learning rate for the next step (groups scale it by their multiplier).</summary>
    public double Lr { get; set; }

    /// <summary>Completed steps.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update to every parameter with a gradient (optimizer.step()).</summary>
    public void Step()
    {
        using var profiled = Derain.Tensors.Autograd.OpProfiler.Measure("optimizer step");
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var g = Groups[gi];
            g.CurrentLr = Lr * g.LrMultiplier;
            if (StepCount < g.FrozenUntilStep) continue;
            for (int i = 0; i < g.Parameters.Count; i++)
            {
                var p = g.Parameters[i];
                if (p.Grad is null || !p.RequiresGrad) continue;
                if (p.Data.DType != DType.Float32)
                    throw new NotSupportedException($"Optimisers update float32 parameters; {g.Name}[{i}] is {p.Data.DType}.");
                Update(new ParamRef(gi, i), g, p.Data.Span<float>(), p.Grad.Span<float>(), g.CurrentLr);
                p.Data.MarkModified();
            }
        }
        StepCount++;
    }

    /// <summary>Drops every gradient (zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) p.ZeroGrad();
    }

    /// <summary>Updates one parameter in place.</summary>
    protected abstract void Update(ParamRef at, ParamGroup group, Span<float> param, ReadOnlySpan<float> grad, double lr);

    /// <summary>Per-parameter state by name (e.g. "exp_avg"), created zeroed on first use.</summary>
    protected float[] State(ParamRef at, string name, int length, out bool created)
    {
        var key = (at.Group, at.Index, name);
        created = false;
        if (!_state.TryGetValue(key, out var arr))
        {
            arr = new float[length];
            _state[key] = arr;
            created = true;
        }
        return arr;
    }

    private readonly Dictionary<(int Group, int Index, string Name), float[]> _state = [];

    /// <summary>Per-parameter step counts (Adam's bias correction counts steps per parameter, like PyTorch).</summary>
    protected readonly Dictionary<(int Group, int Index), long> ParamSteps = [];

    /// <summary>Counts one more step for a parameter and returns its step number (1 on the first).</summary>
    protected long NextParamStep(ParamRef at)
    {
        long t = ParamSteps.TryGetValue((at.Group, at.Index), out var s) ? s + 1 : 1;
        ParamSteps[(at.Group, at.Index)] = t;
        return t;
    }

    /// <summary>Everything needed to resume: step count, per-parameter steps and state arrays.</summary>
    public OptimizerState GetState() => new(
        StepCount,
        ParamSteps.ToDictionary(kv => $"{kv.Key.Group}.{kv.Key.Index}", kv => kv.Value),
        _state.ToDictionary(kv => $"{kv.Key.Group}.{kv.Key.Index}.{kv.Key.Name}", kv => (float[])kv.Value.Clone()));

    /// <summary>Restores a state from <see cref="GetState"/> (same groups and parameter order).</summary>
    public void SetState(OptimizerState state)
    {
        StepCount = state.StepCount;
        ParamSteps.Clear();
        foreach (var (k, v) in state.ParamSteps)
        {
            var parts = k.Split('.');
            ParamSteps[(int.Parse(parts[0]), int.Parse(parts[1]))] = v;
        }
        _state.Clear();
        foreach (var (k, v) in state.Arrays)
        {
            var parts = k.Split('.', 3);
            int g = int.Parse(parts[0]), i = int.Parse(parts[1]);
            if (g >= Groups.Count || i >= Groups[g].Parameters.Count || Groups[g].Parameters[i].Shape.NumElements != v.Length)
                throw new InvalidDataException($"The saved optimiser state '{k}' does not fit this model's parameters.");
            _state[(g, i, parts[2])] = (float[])v.Clone();
        }
    }
}

/// <summary>Where a parameter sits: its group's position and its position in the group.</summary>
public readonly record struct ParamRef(int Group, int Index);

/// <summary>A snapshot of an optimiser's state, for the training-state file.</summary>
public sealed record OptimizerState(long StepCount, Dictionary<string, long> ParamSteps, Dictionary<string, float[]> Arrays);
