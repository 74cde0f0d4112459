using Derain.NN.Modules;
using Derain.Tensors;

namespace Derain.NN.Tests.Modules;

public class ModuleTests
{
    private sealed class Leaf : Module
    {
        public Leaf(int n, bool bias = true)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(new Shape(n, 2)));
            Bias = RegisterParameter("bias", bias ? new Parameter(Tensor.Zeros(new Shape(n))) : null);
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(new Shape(n)));
            RegisterBuffer("scratch", Tensor.Zeros(new Shape(1)), persistent: false);
        }
        public Parameter Weight { get; }
        public Parameter? Bias { get; }
        public ModuleBuffer RunningMean { get; }
    }

    private sealed class Net : Module
    {
        public Net()
        {
            RegisterModule("feat_extract", new Leaf(3));
            RegisterModule("head", new Leaf(4, bias: false));
        }
    }

    [Fact]
    public void State_dict_names_follow_pytorch_order_and_nesting()
    {
        var keys = new Net().StateDict().Keys.ToArray();
        Assert.Equal(["feat_extract.weight", "feat_extract.bias", "feat_extract.running_mean", "head.weight", "head.running_mean"], keys);
    }

    [Fact]
    public void Strict_load_lists_missing_unexpected_and_misshaped_keys()
    {
        var net = new Net();
        var state = new Dictionary<string, Tensor>
        {
            ["feat_extract.weight"] = Tensor.Full(new Shape(3, 2), 2),
            ["feat_extract.bias"] = Tensor.Zeros(new Shape(5)),
            ["extra.weight"] = Tensor.Zeros(new Shape(1)),
        };
        var e = Assert.Throws<InvalidDataException>(() => net.LoadStateDict(state));
        Assert.Contains("feat_extract.running_mean", e.Message);
        Assert.Contains("extra.weight", e.Message);
        Assert.Contains("feat_extract.bias: checkpoint [5], model [3]", e.Message);

        var r = net.LoadStateDict(state, strict: false);
        Assert.False(r.IsExact);
        Assert.Equal(3, r.MissingKeys.Count);
        Assert.All(((Tensor)((Leaf)net.NamedChildren().First().Module).Weight).ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Round_trip_through_state_dict_restores_values_in_place()
    {
        var a = new Net();
        var b = new Net();
        var w = (Leaf)a.NamedChildren().First().Module;
        w.Weight.Data.Span<float>().Fill(5);
        w.RunningMean.Data.Span<float>().Fill(-1);
        var bw = ((Leaf)b.NamedChildren().First().Module).Weight;
        var before = bw.Data;
        b.LoadStateDict(a.StateDict());
        Assert.Same(before, bw.Data);
        Assert.All(bw.Data.ToArray(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void Freezing_and_modes_reach_every_descendant()
    {
        var net = new Net();
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.Training));
        net.RequiresGrad(false);
        Assert.Equal(0, net.ParameterCount(trainableOnly: true));
        Assert.Equal(6 + 3 + 8, net.ParameterCount());
    }
}
