namespace Derain.Tensors.Autograd;

/// <summary>
/// One recorded op in the autograd graph (torch.autograd.graph.Node): it knows its inputs and turns the
/// gradient of its single output into gradients of those inputs. Ops with several outputs are recorded as
/// one node per output. Tensors needed by the backward pass are kept with <see cref="Save"/>, which holds
/// the buffer even if the caller disposes the original; they are released once the backward pass ran.
/// </summary>
public abstract class GradNode
{
    private List<Tensor>? _saved = [];
    private Tensor?[] _inputs = [];

    /// <summary>Name shown in errors and graph dumps (e.g. Conv2dBackward).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The row this node is counted under by <see cref="OpProfiler"/> (e.g. with the shape, for convolutions).</summary>
    internal virtual string ProfileKey => Name;

    /// <summary>The op's tensor inputs, in the order <see cref="Backward"/> returns gradients for them.</summary>
    public IReadOnlyList<Tensor?> Inputs => _inputs;

    /// <summary>Whether input <paramref name="i"/> needs a gradient (skip computing the others).</summary>
    public bool NeedsGrad(int i) => _inputs[i] is { RequiresGrad: true };

    internal bool Released => _saved is null;

    /// <summary>
    /// Gradients for each input given the output's gradient. Entries for inputs that do not need a
    /// gradient may be null. The returned tensors may be new, or views of <paramref name="gradOutput"/>.
    /// Runs with gradient recording off.
    /// </summary>
    protected internal abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>Keeps <paramref name="t"/> for the backward pass and returns the kept handle.</summary>
    protected Tensor Save(Tensor t)
    {
        var alias = t.Alias();
        (_saved ?? throw new InvalidOperationException("Node already released.")).Add(alias);
        return alias;
    }

    internal void Attach(Tensor?[] inputs) => _inputs = inputs;

    /// <summary>Drops saved tensors and input references (after backward without retainGraph).</summary>
    internal void Release()
    {
        if (_saved is null) return;
        foreach (var t in _saved) t.Dispose();
        _saved = null;
        _inputs = [];
        OnRelease();
    }

    /// <summary>Frees any other state the node holds.</summary>
    protected virtual void OnRelease() { }

    /// <summary>
    /// Records <paramref name="node"/> as the producer of <paramref name="output"/> when recording is on and
    /// any input requires a gradient; returns <paramref name="output"/>. Ops call this once per output.
    /// </summary>
    public static Tensor Record(Tensor output, GradNode node, params Tensor?[] inputs)
    {
        if (!GradMode.IsEnabled) return output;
        bool any = false;
        foreach (var t in inputs)
            if (t is { RequiresGrad: true }) { any = true; break; }
        if (!any) return output;
        node.Attach(inputs);
        output.GradFn = node;
        output.RequiresGrad = true;
        if (OpProfiler.IsEnabled) OpProfiler.Forward(node);
        return output;
    }

    /// <summary>True when an op with these inputs would be recorded (to skip saving tensors otherwise).</summary>
    public static bool WillRecord(params Tensor?[] inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs)
            if (t is { RequiresGrad: true }) return true;
        return false;
    }
}
