using Derain.Models.Eevrsr;
using Derain.NN.Checkpoints.SafeTensors;
using Derain.NN.Checkpoints.TensorFlow;
using Derain.NN.Optim;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Bench;

/// <summary>
/// The rows of <c>./bench eevrsr</c>; tools/bench/torch_eevrsr.py runs the same rows on the independent PyTorch
/// reference tools/eevrsr/eevrsr_torch.py. Both sides load the official weights (../shared/data/weights/eevrsr):
/// Derain from the TensorFlow checkpoints, PyTorch from a .safetensors with the TF names converted here once.
/// Inference rows time one forward of [1, 5, 480, 640] luma frames without gradients (one output frame per call);
/// the training row times forward, loss (<see cref="EevrsrLoss"/>), backward and an Adam step on 8 clips of
/// 5×128×128 in training mode (BatchNorm batch statistics and moving-average updates).
/// </summary>
public static class EevrsrSuite
{
    /// <summary>The official checkpoints by variant folder name.</summary>
    public static readonly string[] Checkpoints = ["EEVRSR_all", "EEVRSR_derain_only"];

    public static IEnumerable<BenchRow> Rows()
    {
        yield return new("eevrsr_all_infer_640x480", () => Inference("EEVRSR_all"), Items: 1);
        yield return new("eevrsr_derain_only_infer_640x480", () => Inference("EEVRSR_derain_only"), Items: 1);
        yield return new("eevrsr_all_train_b8_5x128x128", TrainingStep, Items: 8);
    }

    /// <summary>Runs the rows side by side and prints the table (and writes <paramref name="json"/> when given).</summary>
    public static int Run(int threads, double seconds, string? json, string? only)
    {
        var weights = ConvertForTorch(Path.Combine(SideBySide.RepoRoot(), "artifacts", "bench", "eevrsr"));
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {threads} threads (PyTorch {threads} threads); target: Derain time ≤ 0.7 × PyTorch");
        Console.WriteLine($"{"row",-34} {"derain ms",10} {"torch ms",10} {"ratio",7} {"derain /s",10} {"torch /s",9}  unit");
        var results = new SideBySide("torch_eevrsr.py", threads, seconds, weights).Run(Rows().Where(r => only is null || r.Name.Contains(only, StringComparison.Ordinal)).ToList(), r =>
        {
            string unit = r.Name.Contains("train", StringComparison.Ordinal) ? "clips" : "frames";
            Console.WriteLine($"{r.Name,-34} {r.DerainMs,10:F1} {r.TorchMs,10:F1} {r.Ratio,7:F2} {r.DerainPerSecond,10:F2} {r.TorchPerSecond,9:F2}  {unit}");
        });
        if (json is not null) SideBySide.WriteJson(json, results);
        return 0;
    }

    /// <summary>The official TF checkpoint prefix of a variant.</summary>
    public static string CheckpointPrefix(string folder)
    {
        var prefix = Path.Combine(SideBySide.RepoRoot(), "..", "shared", "data", "weights", "eevrsr", folder, "model.ckpt");
        if (!File.Exists(prefix + ".index"))
            throw new FileNotFoundException($"The official EEVRSR weights are missing: {prefix}.index. The benchmark expects ../shared beside the repository.", prefix + ".index");
        return Path.GetFullPath(prefix);
    }

    /// <summary>
    /// Converts each official checkpoint's model variables to &lt;dir&gt;/&lt;folder&gt;.safetensors (TF names and layouts,
    /// as <c>derain weights convert</c> writes them) for the PyTorch side; returns the paths in <see cref="Checkpoints"/> order.
    /// </summary>
    public static string[] ConvertForTorch(string dir)
    {
        Directory.CreateDirectory(dir);
        return Checkpoints.Select(folder =>
        {
            string path = Path.Combine(dir, folder + ".safetensors");
            using var tf = TensorFlowCheckpoint.Open(CheckpointPrefix(folder));
            var tensors = tf.ModelVariables.Select(e => new KeyValuePair<string, Tensor>(e.Name, tf.Read(e.Name))).ToList();
            SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["source"] = folder });
            foreach (var t in tensors) t.Value.Dispose();
            return path;
        }).ToArray();
    }

    private static readonly Generator Rng = new(0);

    private static Tensor Detached(Tensor t)
    {
        TensorScope.Detach(t);
        return t;
    }

    private static Action Inference(string folder)
    {
        var net = EevrsrCheckpoint.Load(CheckpointPrefix(folder));
        var frames = Detached(Tensor.Rand(new Shape(1, 5, 480, 640), Rng));
        return () =>
        {
            using var scope = TensorScope.Begin();
            using var _ = GradMode.NoGrad();
            net.Forward(frames);
        };
    }

    private static Action TrainingStep()
    {
        var net = EevrsrCheckpoint.Load(CheckpointPrefix("EEVRSR_all"));
        net.Train();
        var adam = new Adam([new ParamGroup(net.Parameters())], lr: 1e-4);
        var loss = new EevrsrLoss();
        var frames = Detached(Tensor.Rand(new Shape(8, 5, 128, 128), Rng));
        var target = Detached(Tensor.Rand(new Shape(8, 1, 128, 128), Rng));
        return () =>
        {
            OpProfiler.Mark("(between steps)");
            using (TensorScope.Begin())
            {
                var terms = loss.Compute(net.ForwardDetailed(frames), frames, target);
                terms.Total.Backward();
                adam.Step();
                net.ZeroGrad();
                OpProfiler.Mark("zero grad");
            }
            OpProfiler.Mark("scope disposal");
        };
    }

    /// <summary>
    /// <c>./bench eevrsr --profile N</c>: the training row alone with <see cref="OpProfiler"/> on — two warm-up steps,
    /// then N profiled steps and the per-op table (per step). DERAIN_PROFILE=cpu selects thread CPU time (use --threads 1).
    /// </summary>
    public static int Profile(int steps)
    {
        return StepProfile.Run(TrainingStep(), steps);
    }
}
