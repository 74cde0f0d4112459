using Derain.NN.Modules;
using Derain.NN.Optim;
using Derain.NN.Training;
using Derain.Tensors;

namespace Derain.NN.Tests.Training;

public sealed class TrainingStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("derain-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Round_trip_restores_optimizer_generators_arrays_and_values()
    {
        var p = new Parameter(Tensor.FromArray([1f, 2f, 3f], 3));
        var opt = new Adam([new ParamGroup([p])], lr: 0.1);
        p.Data.Grad = Tensor.FromArray([0.5f, -1f, 2f], 3);
        opt.Step();
        var gen = new Generator(42);
        gen.NextDouble(); gen.NextGaussian();

        var state = new TrainingState { Iteration = 17, Optimizer = opt.GetState() };
        state.Generators["data"] = gen.GetState();
        state.SetArray("memory_items", Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        state.Values["schedule"] = "cosine_restart";
        string path = Path.Combine(_dir, "state.safetensors");
        state.Save(path);

        var back = TrainingState.Load(path);
        Assert.Equal(17, back.Iteration);
        Assert.Equal("cosine_restart", back.Values["schedule"]);
        Assert.Equal([2, 3], back.ArrayShapes["memory_items"]);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], back.Arrays["memory_items"]);
        var g2 = new Generator(0);
        g2.SetState(back.Generators["data"]);
        Assert.Equal(gen.NextDouble(), g2.NextDouble());
        Assert.Equal(opt.GetState().Arrays["0.0.exp_avg_sq"], back.Optimizer!.Arrays["0.0.exp_avg_sq"]);
        Assert.Equal(1, back.Optimizer.StepCount);
        Assert.Equal(1, back.Optimizer.ParamSteps["0.0"]);
    }

    [Fact]
    public void Truncated_or_foreign_files_are_refused_clearly()
    {
        string path = Path.Combine(_dir, "state.safetensors");
        var state = new TrainingState { Iteration = 1 };
        state.SetArray("x", Tensor.Ones(new Shape(100)));
        state.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        Assert.Throws<InvalidDataException>(() => TrainingState.Load(path));

        string weights = Path.Combine(_dir, "w.safetensors");
        Derain.NN.Checkpoints.SafeTensors.SafeTensorsWriter.Write(weights, [new("a", Tensor.Ones(new Shape(2)))]);
        var e = Assert.Throws<InvalidDataException>(() => TrainingState.Load(weights));
        Assert.Contains("not a Derain training-state file", e.Message);
    }
}
