using Derain.Models.Mgid;
using Derain.NN.Optim;
using Derain.Tensors;
using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Bench;

/// <summary>
/// The rows of <c>./bench mgid</c>; tools/bench/torch_mgid.py runs the same rows on the independent PyTorch
/// implementation tools/mgid/mgid_torch.py. Both sides load the official-format checkpoint of
/// ../shared/fixtures/mgid/random. The inference row times one test-branch forward of a [1, 3, 512, 512] image
/// without gradients. The training row times one Train.py iteration on a batch of 8 pairs of 256×256 frames
/// (what <c>derain train</c> does per step with <c>network.type: mgid</c>): the pair forward in training mode with the
/// module's memory (<see cref="MgidNet.ForwardTrainingPair"/>), the full <see cref="MgidLoss"/> (five L1 terms,
/// gathering, BSW with its exact 50-means, −SSIM), backward, Adam 2e-4 over the encoder and decoder, and the memory
/// update (the memory the pair left becomes the module's).
/// </summary>
public static class MgidSuite
{
    public static IEnumerable<BenchRow> Rows()
    {
        yield return new("mgid_infer_512x512", Inference, Items: 1);
        yield return new("mgid_train_b8_2x256x256", TrainingStep, Items: 8);
    }

    /// <summary>Runs the rows side by side and prints the table (and writes <paramref name="json"/> when given).</summary>
    public static int Run(int threads, double seconds, string? json, string? only)
    {
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {threads} threads (PyTorch {threads} threads); target: Derain time ≤ 0.7 × PyTorch");
        Console.WriteLine($"{"row",-34} {"derain ms",10} {"torch ms",10} {"ratio",7} {"derain /s",10} {"torch /s",9}  unit");
        var sides = new SideBySide("torch_mgid.py", threads, seconds, [Checkpoint()]);
        var results = sides.Run(Rows().Where(r => only is null || r.Name.Contains(only, StringComparison.Ordinal)).ToList(), r =>
            Console.WriteLine($"{r.Name,-34} {r.DerainMs,10:F1} {r.TorchMs,10:F1} {r.Ratio,7:F2} {r.DerainPerSecond,10:F2} {r.TorchPerSecond,9:F2}  {(r.Name.Contains("train", StringComparison.Ordinal) ? "pairs" : "images")}"));
        // Each side is one process for all rows, so with both rows the peak is the larger row's (the training row's).
        double derainPeak = SideBySide.StatusMiB("/proc/self/status", "VmHWM");
        Console.WriteLine($"peak resident (VmHWM, MiB): derain {derainPeak:F0}, torch {sides.TorchPeakMiB:F0}, ratio {derainPeak / sides.TorchPeakMiB:F2}");
        if (json is not null) SideBySide.WriteJson(json, results);
        return 0;
    }

    /// <summary>
    /// <c>./bench mgid-steps [--only TEXT] [--steps N]</c>: Derain alone, each row's action called N times (default 3)
    /// in this process, printing each call's time and the peak resident size so far — for memory work without the
    /// PyTorch side's minutes.
    /// </summary>
    public static int Steps(int steps, string? only)
    {
        ApplyAlgorithmOverrides();
        Console.WriteLine($"backend {KernelBackend.Float32.Name}, {KernelBackend.Threads} threads; resident MiB (VmRSS now, VmHWM peak so far)");
        foreach (var row in Rows().Where(r => only is null || r.Name.Contains(only, StringComparison.Ordinal)))
        {
            var run = row.Setup();
            Console.WriteLine($"{row.Name}: before the first call RSS {SideBySide.StatusMiB("/proc/self/status", "VmRSS"):F0}");
            for (int i = 0; i < steps; i++)
            {
                Derain.Tensors.Memory.BufferPool.ResetPeak();
                var process = System.Diagnostics.Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                run();
                double ms = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                process.Refresh();
                // Process CPU time as well: on this shared machine it moves less than wall time when something else runs.
                double cpuMs = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
                Console.WriteLine($"  call {i + 1}: {ms,9:F1} ms (CPU {cpuMs,8:F0} ms)  RSS {SideBySide.StatusMiB("/proc/self/status", "VmRSS"),7:F0}  HWM {SideBySide.StatusMiB("/proc/self/status", "VmHWM"),7:F0}  tensors: peak {Derain.Tensors.Memory.BufferPool.PeakOutstandingBytes / 1048576.0,7:F0}, pooled {Derain.Tensors.Memory.BufferPool.PooledBytes / 1048576.0,6:F0}, GC heap {GC.GetTotalMemory(false) / 1048576.0,6:F0}{Extra()}");
            }
        }
        return 0;
    }

    /// <summary>
    /// Environment overrides of the oneDNN convolution algorithms, for comparisons:
    /// </summary>
    private static void ApplyAlgorithmOverrides()
    {
        // DERAIN_CONV_FORWARD=direct|winograd|auto overrides the per-layer forward algorithm (for comparisons).
        if (Environment.GetEnvironmentVariable("DERAIN_CONV_FORWARD") is { Length: > 0 } forced && KernelBackend.Float32 is Derain.Tensors.Kernels.Dnnl.DnnlKernels dnnl)
            dnnl.ForwardAlgorithm = forced switch
            {
                "direct" => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionDirect,
                "winograd" => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionWinograd,
                _ => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionAuto,
            };
        // DERAIN_CONV_BACKWARD_DATA=direct|winograd|auto likewise for the backward-data pass.
        if (Environment.GetEnvironmentVariable("DERAIN_CONV_BACKWARD_DATA") is { Length: > 0 } bwd && KernelBackend.Float32 is Derain.Tensors.Kernels.Dnnl.DnnlKernels dnnlB)
            dnnlB.BackwardDataAlgorithm = bwd switch
            {
                "direct" => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionDirect,
                "winograd" => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionWinograd,
                _ => Derain.Tensors.Kernels.Dnnl.Native.DnnlAlgKind.ConvolutionAuto,
            };
    }

    /// <summary>The official-format checkpoint fixture both sides load.</summary>
    public static string Checkpoint()
    {
        var path = Path.GetFullPath(Path.Combine(SideBySide.RepoRoot(), "..", "shared", "fixtures", "mgid", "random", "mgid_model_00000.pth"));
        if (!File.Exists(path))
            throw new FileNotFoundException($"The MGID checkpoint fixture is missing: {path}. The benchmark expects ../shared beside the repository.", path);
        return path;
    }

    /// <summary>oneDNN's shared workspace and the GC's large- and pinned-object heaps after the last collection, MiB.</summary>
    private static string Extra()
    {
        var info = GC.GetGCMemoryInfo();
        string dnnl = KernelBackend.Float32 is Derain.Tensors.Kernels.Dnnl.DnnlKernels k ? $", oneDNN workspace {k.WorkspaceBytes / 1048576.0:F0}" : "";
        return $"{dnnl}, LOH {info.GenerationInfo[3].SizeAfterBytes / 1048576.0:F0}, POH {info.GenerationInfo[4].SizeAfterBytes / 1048576.0:F0}";
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

    private static Action TrainingStep()
    {
        var net = MgidCheckpoint.Load(Checkpoint());
        net.Train();
        var adam = new Adam([new ParamGroup(net.Parameters())], lr: 2e-4);
        var loss = new MgidLoss();
        var generator = new Generator(1);
        var rain1 = Tensor.Rand(new Shape(8, 3, 256, 256), generator, -1, 1);
        var rain2 = Tensor.Rand(new Shape(8, 3, 256, 256), generator, -1, 1);
        TensorScope.Detach(rain1);
        TensorScope.Detach(rain2);
        return () =>
        {
            OpProfiler.Mark("(between steps)");
            using (var scope = TensorScope.Begin())
            {
                var forward = net.ForwardTrainingPair(rain1, rain2, net.MemoryItems.Data);
                var total = loss.Compute(forward, rain1, rain2).Total;
                OpProfiler.Mark("loss (unrecorded work after its last recorded op)");
                total.Backward();
                OpProfiler.Mark("backward (outside nodes)");
                adam.Step();
                OpProfiler.Mark("Adam");
                net.ZeroGrad();
                // As MgidTraining.StepCompleted: after the step, so backward could still read the memory it started from.
                net.SetMemory(forward.UpdatedMemory);
                OpProfiler.Mark("zero grad, memory update");
            }
            OpProfiler.Mark("scope disposal");
        };
    }

    /// <summary>
    /// <c>./bench mgid --profile N</c>: the training row alone with <see cref="OpProfiler"/> on — two warm-up steps, then
    /// N profiled steps and the per-op table (per step), as <c>./bench eevrsr --profile</c>. DERAIN_PROFILE=cpu selects
    /// thread CPU time (use --threads 1).
    /// </summary>
    public static int Profile(int steps)
    {
        ApplyAlgorithmOverrides();
        return StepProfile.Run(TrainingStep(), steps);
    }
}
