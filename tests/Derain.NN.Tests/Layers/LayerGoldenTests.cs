using Derain.NN.Layers;
using Derain.NN.Losses;
using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.Tensors;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.NN.Tests.Layers;

/// <summary>Layers and a whole training run against PyTorch (tools/golden/nn.py).</summary>
public class LayerGoldenTests
{
    private static Dictionary<string, Tensor> StateFrom(Dictionary<string, Derain.Tensors.Serialization.NpyArray> g, string prefix, DType dtype = DType.Float32)
        => g.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => dtype == DType.Float32 ? kv.Value.ToTensor() : kv.Value.ToDoubleTensor());

    [Fact]
    public void Multi_headed_attention_matches_the_fuseformer_layout()
    {
        var g = Golden.Load("nn", "mha");
        var mha = new MultiHeadedAttention(16, 4, new Generator(0));
        var state = g.Where(kv => kv.Key.Contains('.')).ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor());
        mha.LoadStateDict(state);
        Assert.Equal(state.Keys.Order(), mha.StateDict().Keys.Order());
        var x = g["x"].ToTensor().RequireGrad();
        var y = mha.Forward(x, g["y"].ToTensor());
        Golden.AssertClose(g["out"], y, 1e-5, 1e-6, "attention output");
        y.Backward(g["seed"].ToTensor());
        Golden.AssertClose(g["gx"], x.Grad!, 1e-4, 1e-6, "attention input gradient");
    }

    // A conv before batch norm has no bias: its gradient would be zero up to rounding, which Adam
    // amplifies into a random walk that no two implementations share.
    private static Sequential ToyNet()
    {
        var gen = new Generator(1);
        return new Sequential(
            ConvNd.Conv2d(3, 8, 3, gen, padding: 1), new Relu(),
            ConvNd.Conv2d(8, 8, 3, gen, padding: 1, bias: false), new BatchNorm(8), new LeakyRelu(0.2),
            ConvNd.Conv2d(8, 3, 3, gen, padding: 1));
    }

    [Fact]
    public void Toy_network_trains_like_pytorch_for_20_steps()
    {
        var g = Golden.Load("nn", "train");
        var net = ToyNet();
        net.LoadStateDict(StateFrom(g, "init."));
        var opt = new Sgd([new ParamGroup(net.Parameters())], lr: 0.05, momentum: 0.9);
        var x = g["x"].ToTensor();
        var y = g["y"].ToTensor();
        var expected = g["losses"].Data;
        for (int step = 0; step < expected.Length; step++)
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            var output = net.Forward(x);
            var loss = Loss.Charbonnier(output, y, eps: 1e-4) + Loss.Mse(output, y) * 0.5;
            loss.Backward();
            opt.Step();
            double l = loss.Item();
            Assert.True(Math.Abs(l - expected[step]) <= 1e-5 * Math.Abs(expected[step]) + 1e-7,
                $"step {step + 1}: loss {l:G9}, PyTorch {expected[step]:G9}");
        }
        foreach (var (name, t) in StateFrom(g, "final."))
            Golden.AssertClose(t.ToDoubleArray(), net.StateDict()[name].ToDoubleArray(), 1e-4, 1e-5, "final " + name);
        Assert.True(expected[^1] < expected[0] * 0.5, "the toy task should be learnt");
    }

    [Fact]
    public void Training_resumed_from_a_checkpoint_follows_the_uninterrupted_run_exactly()
    {
        var g = Golden.Load("nn", "train");
        var x = g["x"].ToTensor();
        var y = g["y"].ToTensor();
        float[] Run(Sequential net, Sgd opt, int steps)
        {
            var losses = new float[steps];
            for (int i = 0; i < steps; i++)
            {
                using var scope = TensorScope.Begin();
                opt.ZeroGrad();
                var loss = Loss.Mse(net.Forward(x), y);
                loss.Backward();
                opt.Step();
                losses[i] = (float)loss.Item();
            }
            return losses;
        }

        var straight = ToyNet();
        straight.LoadStateDict(StateFrom(g, "init."));
        var all = Run(straight, new Sgd([new ParamGroup(straight.Parameters())], lr: 0.05, momentum: 0.9), 10);

        var first = ToyNet();
        first.LoadStateDict(StateFrom(g, "init."));
        var opt1 = new Sgd([new ParamGroup(first.Parameters())], lr: 0.05, momentum: 0.9);
        Run(first, opt1, 5);
        var dir = Directory.CreateTempSubdirectory("derain-resume-").FullName;
        try
        {
            string w = Path.Combine(dir, "model.safetensors"), s = Path.Combine(dir, "state.safetensors");
            Derain.NN.Training.TrainingState.SaveCheckpoint(first, w, new Derain.NN.Training.TrainingState { Iteration = 5, Optimizer = opt1.GetState() }, s);

            var resumed = ToyNet();
            using (var reader = Derain.NN.Checkpoints.Checkpoint.Open(w))
                resumed.LoadStateDict(Derain.NN.Checkpoints.CheckpointReaderExtensions.ReadAll(reader));
            var opt2 = new Sgd([new ParamGroup(resumed.Parameters())], lr: 0.05, momentum: 0.9);
            var state = Derain.NN.Training.TrainingState.Load(s);
            opt2.SetState(state.Optimizer!);
            Assert.Equal(all[5..], Run(resumed, opt2, 5));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void State_dict_names_match_pytorch_sequential()
    {
        var g = Golden.Load("nn", "train");
        Assert.Equal(StateFrom(g, "init.").Keys, ToyNet().StateDict().Keys);
    }
}
