using Derain.Models.Mgid;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Bench;

/// <summary>
/// The rows of <c>./bench mgid</c>; tools/bench/torch_mgid.py runs the same rows on the independent PyTorch
/// implementation tools/mgid/mgid_torch.py. Both sides load the official-format checkpoint of
/// ../shared/fixtures/mgid/random. The inference row times one test-branch forward of a [1, 3, 512, 512] image
/// without gradients. (The training-step row of issue 6 item 6 is not written yet.)
/// </summary>
public static class MgidSuite
{
    public static IEnumerable<BenchRow> Rows()
    {
        yield return new("mgid_infer_512x512", Inference, Items: 1);
    }

    /// <summary>Runs the rows side by side and prints the table (and writes <paramref name="json"/> when given).</summary>
    public static int Run(int threads, double seconds, string? json, string? only)
    {
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {threads} threads (PyTorch {threads} threads); target: Derain time ≤ 0.7 × PyTorch");
        Console.WriteLine($"{"row",-34} {"derain ms",10} {"torch ms",10} {"ratio",7} {"derain /s",10} {"torch /s",9}  unit");
        var results = new SideBySide("torch_mgid.py", threads, seconds, [Checkpoint()]).Run(Rows().Where(r => only is null || r.Name.Contains(only, StringComparison.Ordinal)).ToList(), r =>
            Console.WriteLine($"{r.Name,-34} {r.DerainMs,10:F1} {r.TorchMs,10:F1} {r.Ratio,7:F2} {r.DerainPerSecond,10:F2} {r.TorchPerSecond,9:F2}  images"));
        if (json is not null) SideBySide.WriteJson(json, results);
        return 0;
    }

    /// <summary>The official-format checkpoint fixture both sides load.</summary>
    public static string Checkpoint()
    {
        var path = Path.GetFullPath(Path.Combine(SideBySide.RepoRoot(), "..", "shared", "fixtures", "mgid", "random", "mgid_model_00000.pth"));
        if (!File.Exists(path))
            throw new FileNotFoundException($"The MGID checkpoint fixture is missing: {path}. The benchmark expects ../shared beside the repository.", path);
        return path;
    }

    private static Action Inference()
    {
        var net = MgidCheckpoint.Load(Checkpoint());
        var image = Tensor.Rand(new Shape(1, 3, 512, 512), new Generator(0), -1, 1);
        TensorScope.Detach(image);
        return () =>
        {
            using var scope = TensorScope.Begin();
            using var _ = GradMode.NoGrad();
            net.Forward(image);
        };
    }
}
