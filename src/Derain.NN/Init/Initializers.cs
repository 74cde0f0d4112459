using Derain.Tensors;

namespace Derain.NN.Init;

/// <summary>
/// Weight initialisers with torch.nn.init's distributions and fan rules, drawn from a seeded
/// <see cref="Generator"/> (so a seed reproduces a model bit for bit; the random stream is Derain's own, not
/// PyTorch's). Each fills the tensor in place and returns it.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// fan_in and fan_out as torch.nn.init._calculate_fan_in_and_fan_out: dim 1 and dim 0 sizes times the
    /// receptive field (product of the remaining dims). Conv weights [out, in, k…], linear [out, in].
    /// </summary>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 2)
            throw new ArgumentException($"Fan in and fan out need at least 2 dimensions; got shape {shape}.");
        int receptive = shape.Product(2, shape.Rank);
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>torch.nn.init.calculate_gain for the nonlinearities used here.</summary>
    public static double Gain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
        _ => throw new ArgumentException($"Unknown nonlinearity '{nonlinearity}'."),
    };

    /// <summary>torch.nn.init.uniform_: U(low, high).</summary>
    public static Tensor Uniform(Tensor t, double low, double high, Generator g)
    {
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(low + (high - low) * g.NextDouble());
        t.MarkModified();
        return t;
    }

    /// <summary>torch.nn.init.normal_: N(mean, std²).</summary>
    public static Tensor Normal(Tensor t, double mean, double std, Generator g)
    {
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(mean + std * g.NextGaussian());
        t.MarkModified();
        return t;
    }

    /// <summary>torch.nn.init.constant_.</summary>
    public static Tensor Constant(Tensor t, double value)
    {
        t.AsSpan().Fill((float)value);
        t.MarkModified();
        return t;
    }

    /// <summary>
    /// torch.nn.init.kaiming_uniform_: U(−b, b) with b = gain·√(3/fan). PyTorch's default for Conv and Linear
    /// weights is a = √5 with leaky_relu and fan_in, which gives b = 1/√fan_in.
    /// </summary>
    public static Tensor KaimingUniform(Tensor t, Generator g, double a = 0, bool fanIn = true, string nonlinearity = "leaky_relu")
    {
        var (fi, fo) = Fans(t.Shape);
        double std = Gain(nonlinearity, a) / Math.Sqrt(fanIn ? fi : fo);
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(t, -bound, bound, g);
    }

    /// <summary>torch.nn.init.kaiming_normal_: N(0, (gain/√fan)²).</summary>
    public static Tensor KaimingNormal(Tensor t, Generator g, double a = 0, bool fanIn = true, string nonlinearity = "leaky_relu")
    {
        var (fi, fo) = Fans(t.Shape);
        return Normal(t, 0, Gain(nonlinearity, a) / Math.Sqrt(fanIn ? fi : fo), g);
    }

    /// <summary>torch.nn.init.xavier_uniform_: U(−b, b), b = gain·√(6/(fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(Tensor t, Generator g, double gain = 1)
    {
        var (fi, fo) = Fans(t.Shape);
        double bound = gain * Math.Sqrt(6.0 / (fi + fo));
        return Uniform(t, -bound, bound, g);
    }

    /// <summary>torch.nn.init.xavier_normal_: N(0, gain²·2/(fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor t, Generator g, double gain = 1)
    {
        var (fi, fo) = Fans(t.Shape);
        return Normal(t, 0, gain * Math.Sqrt(2.0 / (fi + fo)), g);
    }

    /// <summary>
    /// PyTorch's default bias init for Conv and Linear: U(−1/√fan_in, 1/√fan_in) with the weight's fan_in.
    /// </summary>
    public static Tensor DefaultBias(Tensor bias, Shape weightShape, Generator g)
    {
        var (fi, _) = Fans(weightShape);
        double bound = fi > 0 ? 1 / Math.Sqrt(fi) : 0;
        return Uniform(bias, -bound, bound, g);
    }
}
