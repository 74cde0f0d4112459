using Derain.Tensors;

namespace Derain.NN.Modules;

/// <summary>
/// Non-trainable module state that belongs in the state dict, such as BatchNorm's running_mean
/// (torch.nn.Module.register_buffer). Non-persistent buffers are left out of the state dict.
/// </summary>
public sealed class ModuleBuffer
{
    private Tensor _data;

    public ModuleBuffer(Tensor data, bool persistent = true)
    {
        _data = data;
        TensorScope.Detach(data);
        Persistent = persistent;
    }

    /// <summary>The tensor.</summary>
    public Tensor Data => _data;

    /// <summary>Whether it is saved in and loaded from the state dict.</summary>
    public bool Persistent { get; }

    /// <summary>Shape of the tensor.</summary>
    public Shape Shape => _data.Shape;

    /// <summary>Replaces the values in place (same shape).</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Shape != _data.Shape)
            throw new ArgumentException($"ModuleBuffer of shape {_data.Shape} cannot take values of shape {source.Shape}.");
        if (_data.DType == DType.Float32) source.ToArray().AsSpan().CopyTo(_data.Span<float>());
        else source.ToDoubleArray().AsSpan().CopyTo(_data.Span<double>());
        _data.MarkModified();
    }

    /// <summary>Replaces the tensor object.</summary>
    public void Replace(Tensor data)
    {
        TensorScope.Detach(data);
        _data = data;
    }

    public static implicit operator Tensor(ModuleBuffer b) => b._data;
}
