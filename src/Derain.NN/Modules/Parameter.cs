using Derain.Tensors;

namespace Derain.NN.Modules;

/// <summary>
/// A trainable tensor owned by a module (torch.nn.Parameter). It holds a leaf tensor that requires a
/// gradient and lives outside any <see cref="TensorScope"/>; loading a state dict copies values into it in
/// place, so optimisers holding the parameter keep working. Converts implicitly to its tensor.
/// </summary>
public sealed class Parameter
{
    private Tensor _data;

    /// <summary>Wraps <paramref name="data"/> (taken over: detached from scopes, marked as requiring a gradient).</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
    {
        _data = Adopt(data);
        _data.RequiresGrad = requiresGrad;
    }

    /// <summary>The tensor (a leaf).</summary>
    public Tensor Data => _data;

    /// <summary>The accumulated gradient, if any.</summary>
    public Tensor? Grad => _data.Grad;

    /// <summary>Whether the optimiser should update it (false = frozen).</summary>
    public bool RequiresGrad
    {
        get => _data.RequiresGrad;
        set => _data.RequiresGrad = value;
    }

    /// <summary>Shape of the tensor.</summary>
    public Shape Shape => _data.Shape;

    /// <summary>Replaces the values (same shape) in place, e.g. from a checkpoint.</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Shape != _data.Shape)
            throw new ArgumentException($"Parameter of shape {_data.Shape} cannot take values of shape {source.Shape}.");
        if (source.DType == _data.DType && source.DType == DType.Float32) source.Span<float>().CopyTo(_data.Span<float>());
        else if (_data.DType == DType.Float32)
        {
            var src = source.ToArray();
            src.AsSpan().CopyTo(_data.Span<float>());
        }
        else source.ToDoubleArray().AsSpan().CopyTo(_data.Span<double>());
        _data.MarkModified();
    }

    /// <summary>Replaces the tensor object (e.g. converting dtype); gradients are dropped.</summary>
    public void Replace(Tensor data)
    {
        bool rg = _data.RequiresGrad;
        _data = Adopt(data);
        _data.RequiresGrad = rg;
    }

    /// <summary>Drops the gradient (optimizer.zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad() => _data.ZeroGrad();

    private static Tensor Adopt(Tensor t)
    {
        var leaf = t.IsLeaf ? t : t.Detach();
        TensorScope.Detach(leaf);
        return leaf;
    }

    public static implicit operator Tensor(Parameter p) => p._data;

    public override string ToString() => $"Parameter{_data.Shape}";
}
