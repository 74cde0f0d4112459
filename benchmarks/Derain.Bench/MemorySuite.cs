using System.Globalization;
using Derain.Tensors;

namespace Derain.Bench;

/// <summary>
/// <c>./bench memory [--steps N]</c>: resident memory over many forward+backward steps of a small conv net
/// (conv3×3 16→32, ReLU, conv3×3 32→16, ReLU, conv3×3 16→3, L2 loss, SGD update on raw spans), once with each
/// step in a <see cref="TensorScope"/> (buffers return to the pool deterministically) and once leaving every
/// tensor to the GC. Prints RSS at checkpoints and the process's peak RSS (VmHWM).
/// </summary>
public static class MemorySuite
{
    public static int Run(int steps)
    {
        foreach (bool scoped in new[] { true, false })
        {
            var rng = new Generator(1);
            Tensor P(params int[] s) { var t = Tensor.Randn(new Shape(s), rng, std: 0.1); return t.RequireGrad(); }
            var w1 = P(32, 16, 3, 3); var w2 = P(16, 32, 3, 3); var w3 = P(3, 16, 3, 3);
            var x = Tensor.Randn(new Shape(4, 16, 64, 64), rng);
            var target = Tensor.Randn(new Shape(4, 3, 64, 64), rng);
            Console.WriteLine($"{(scoped ? "with a TensorScope per step" : "without scopes (GC only)")}:");
            var checkpoints = new HashSet<int> { 1, 10, 100, steps / 2, steps };
            double firstLoss = 0, lastLoss = 0;
            for (int step = 1; step <= steps; step++)
            {
                var scope = scoped ? TensorScope.Begin() : null;
                var h = Ops.Relu(Ops.Conv2d(x, w1, null, padding: 1));
                h = Ops.Relu(Ops.Conv2d(h, w2, null, padding: 1));
                var y = Ops.Conv2d(h, w3, null, padding: 1);
                var loss = Ops.Mean(Ops.Square(y - target));
                loss.Backward();
                double l = loss.Item();
                if (step == 1) firstLoss = l;
                lastLoss = l;
                foreach (var w in new[] { w1, w2, w3 })
                {
                    var ws = w.AsSpan();
                    var gs = w.Grad!.AsSpan();
                    for (int i = 0; i < ws.Length; i++) ws[i] -= 0.05f * gs[i];
                    w.ZeroGrad();
                }
                scope?.Dispose();
                if (checkpoints.Contains(step))
                    Console.WriteLine($"  step {step,5}: RSS {Rss("VmRSS"),7:F1} MiB, managed heap {GC.GetTotalMemory(false) / 1048576.0,7:F1} MiB, loss {l.ToString("F5", CultureInfo.InvariantCulture)}");
            }
            Console.WriteLine($"  loss {firstLoss:F5} → {lastLoss:F5}; peak RSS so far (VmHWM) {Rss("VmHWM"):F1} MiB");
        }
        return 0;
    }

    private static double Rss(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
