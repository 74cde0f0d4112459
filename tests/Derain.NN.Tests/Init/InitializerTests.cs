using Derain.NN.Init;
using Derain.Tensors;

namespace Derain.NN.Tests.Init;

/// <summary>Initialisers against torch.nn.init's published formulas (bounds and standard deviations).</summary>
public class InitializerTests
{
    private static (double Mean, double Std, double Min, double Max) Stats(Tensor t)
    {
        var v = t.ToDoubleArray();
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, std, v.Min(), v.Max());
    }

    [Fact]
    public void Pytorch_default_conv_init_is_uniform_within_one_over_sqrt_fan_in()
    {
        var w = Tensor.Zeros(new Shape(64, 32, 3, 3));
        Initializers.KaimingUniform(w, new Generator(1), a: Math.Sqrt(5));
        double bound = 1 / Math.Sqrt(32 * 9);
        var s = Stats(w);
        Assert.InRange(s.Min, -bound, -0.98 * bound);
        Assert.InRange(s.Max, 0.98 * bound, bound);
        Assert.InRange(s.Std, 0.97 * bound / Math.Sqrt(3), 1.03 * bound / Math.Sqrt(3));
    }

    [Fact]
    public void Kaiming_normal_relu_fan_out_and_xavier_have_the_published_std()
    {
        var w = Tensor.Zeros(new Shape(128, 64, 3, 3));
        Initializers.KaimingNormal(w, new Generator(2), fanIn: false, nonlinearity: "relu");
        Assert.InRange(Stats(w).Std / (Math.Sqrt(2) / Math.Sqrt(128 * 9)), 0.98, 1.02);

        var x = Tensor.Zeros(new Shape(512, 256));
        Initializers.XavierNormal(x, new Generator(3));
        Assert.InRange(Stats(x).Std / Math.Sqrt(2.0 / (512 + 256)), 0.98, 1.02);

        Initializers.XavierUniform(x, new Generator(4));
        double b = Math.Sqrt(6.0 / (512 + 256));
        Assert.InRange(Stats(x).Max, 0.99 * b, b);
    }

    [Fact]
    public void A_seed_reproduces_the_values_and_another_seed_changes_them()
    {
        var a = Initializers.Normal(Tensor.Zeros(new Shape(100)), 0, 0.02, new Generator(9));
        var b = Initializers.Normal(Tensor.Zeros(new Shape(100)), 0, 0.02, new Generator(9));
        var c = Initializers.Normal(Tensor.Zeros(new Shape(100)), 0, 0.02, new Generator(10));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
    }

    [Fact]
    public void Fans_follow_pytorch_for_conv_transpose_layout()
    {
        // ConvTranspose2d weight [in, out/groups, kh, kw]: PyTorch's fan_in is dim 1 × kernel.
        Assert.Equal((16 * 16, 64 * 16), Initializers.Fans(new Shape(64, 16, 4, 4)));
        Assert.Throws<ArgumentException>(() => Initializers.Fans(new Shape(5)));
    }
}
