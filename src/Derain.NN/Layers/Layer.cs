using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Layers;

/// <summary>A module that maps one tensor to one tensor (the shape of most torch.nn layers), so layers compose in a <see cref="Sequential"/>.</summary>
public abstract class Layer : Module
{
    /// <summary>torch.nn.Module.forward for a single input.</summary>
    public abstract Tensor Forward(Tensor x);
}

/// <summary>torch.nn.Sequential: children named "0", "1", … applied in order.</summary>
public sealed class Sequential : Layer
{
    private readonly List<Layer> _layers = [];

    public Sequential(params Layer[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    /// <summary>Appends a layer under the next index name.</summary>
    public Sequential Add(Layer layer)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    public override Tensor Forward(Tensor x)
    {
        foreach (var l in _layers) x = l.Forward(x);
        return x;
    }
}
