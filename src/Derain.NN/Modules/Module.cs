using Derain.Tensors;

namespace Derain.NN.Modules;

/// <summary>
/// Base of every network part (torch.nn.Module). Children, parameters and buffers are registered
/// explicitly, in order, under the names PyTorch would give them, so that <see cref="StateDict"/> keys match
/// an official checkpoint one to one (e.g. <c>feat_extract.main.0.weight</c>, <c>bn.running_mean</c>,
/// <c>bn.num_batches_tracked</c>).
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter?>> _parameters = [];
    private readonly List<KeyValuePair<string, ModuleBuffer?>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>True in training mode (torch.nn.Module.training).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a child module under <paramref name="name"/> and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Registers a parameter (null: an absent optional parameter, e.g. bias=False) and returns it.</summary>
    protected Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a parameter created from <paramref name="value"/> and returns it.</summary>
    protected Parameter RegisterParameter(string name, Tensor value) => RegisterParameter(name, new Parameter(value))!;

    /// <summary>Registers a buffer and returns it.</summary>
    protected ModuleBuffer RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        var b = new ModuleBuffer(value, persistent);
        _buffers.Add(new(name, b));
        return b;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (non-empty, no dots).");
        if (_parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _children.Any(c => c.Key == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'.");
    }

    /// <summary>Direct children, in registration order (torch.nn.Module.named_children).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(c => (c.Key, c.Value));

    /// <summary>This module and every descendant with dotted names ("" for this one) (named_modules).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var m in child.NamedModules(Join(prefix, name)))
                yield return m;
    }

    /// <summary>Every parameter with its dotted name, depth first in registration order (named_parameters).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (mp, m) in NamedModules(prefix))
            foreach (var (n, p) in m._parameters)
                if (p is not null && seen.Add(p)) yield return (Join(mp, n), p);
    }

    /// <summary>Every parameter (parameters()).</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer with its dotted name (named_buffers).</summary>
    public IEnumerable<(string Name, ModuleBuffer ModuleBuffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (mp, m) in NamedModules(prefix))
            foreach (var (n, b) in m._buffers)
                if (b is not null) yield return (Join(mp, n), b);
    }

    /// <summary>Number of parameter elements (optionally only trainable ones).</summary>
    public long ParameterCount(bool trainableOnly = false)
        => Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Shape.NumElements);

    /// <summary>Sets training mode on this module and all descendants (train(mode)).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (eval()).</summary>
    public Module Eval() => Train(false);

    /// <summary>Freezes (false) or unfreezes (true) every parameter of this module (requires_grad_).</summary>
    public void RequiresGrad(bool value)
    {
        foreach (var p in Parameters()) p.RequiresGrad = value;
    }

    /// <summary>Drops every parameter's gradient (zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>
    /// Parameters and persistent buffers by dotted name, in PyTorch's order (each module's parameters, then
    /// its buffers, then its children). The tensors are the live ones, not copies.
    /// </summary>
    public Dictionary<string, Tensor> StateDict(string prefix = "")
    {
        var result = new Dictionary<string, Tensor>();
        AddState(result, prefix);
        return result;
    }

    private void AddState(Dictionary<string, Tensor> result, string prefix)
    {
        foreach (var (n, p) in _parameters)
            if (p is not null) result[Join(prefix, n)] = p.Data;
        foreach (var (n, b) in _buffers)
            if (b is not null && b.Persistent) result[Join(prefix, n)] = b.Data;
        foreach (var (n, c) in _children)
            c.AddState(result, Join(prefix, n));
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers
    /// (load_state_dict). Returns the keys that were missing, unexpected or of the wrong shape; with
    /// <paramref name="strict"/> any of those is an error that lists them all by name.
    /// </summary>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = new Dictionary<string, Action<Tensor>>();
        var shapes = new Dictionary<string, Shape>();
        foreach (var (mp, m) in NamedModules())
        {
            foreach (var (n, p) in m._parameters)
                if (p is not null) { own[Join(mp, n)] = p.CopyFrom; shapes[Join(mp, n)] = p.Shape; }
            foreach (var (n, b) in m._buffers)
                if (b is not null && b.Persistent) { own[Join(mp, n)] = b.CopyFrom; shapes[Join(mp, n)] = b.Shape; }
        }
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = state.Where(kv => shapes.TryGetValue(kv.Key, out var s) && s != kv.Value.Shape)
            .Select(kv => $"{kv.Key}: checkpoint {kv.Value.Shape}, model {shapes[kv.Key]}").ToList();
        var result = new StateDictLoadResult(missing, unexpected, mismatched);
        if (strict && !result.IsExact)
            throw new InvalidDataException($"The weights do not fit {GetType().Name}:\n{result}");
        foreach (var (k, t) in state)
            if (own.TryGetValue(k, out var copy) && shapes[k] == t.Shape) copy(t);
        return result;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}

/// <summary>What <see cref="Module.LoadStateDict"/> found: keys missing from the state dict, keys the module does not have, and shape mismatches.</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys, IReadOnlyList<string> ShapeMismatches)
{
    /// <summary>True when every key matched with the right shape.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && ShapeMismatches.Count == 0;

    public override string ToString()
    {
        var lines = new List<string>();
        if (MissingKeys.Count > 0) lines.Add($"  missing ({MissingKeys.Count}): {string.Join(", ", MissingKeys.Take(20))}{(MissingKeys.Count > 20 ? ", …" : "")}");
        if (UnexpectedKeys.Count > 0) lines.Add($"  unexpected ({UnexpectedKeys.Count}): {string.Join(", ", UnexpectedKeys.Take(20))}{(UnexpectedKeys.Count > 20 ? ", …" : "")}");
        if (ShapeMismatches.Count > 0) lines.Add($"  wrong shape ({ShapeMismatches.Count}): {string.Join("; ", ShapeMismatches.Take(20))}{(ShapeMismatches.Count > 20 ? "; …" : "")}");
        return lines.Count == 0 ? "  all keys match" : string.Join('\n', lines);
    }
}
