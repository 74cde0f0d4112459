using Derain.Tensors.Autograd;

namespace Derain.Tensors.Tests.Core;

/// <summary>
/// The profiler's bookkeeping: every recorded op and every backward node lands in its row, convolutions by shape.
/// Timings themselves are not asserted (performance is checked by ./bench, not tests). The profiler is process-wide;
/// the shapes here are unusual enough that concurrent tests do not add calls to these rows.
/// </summary>
[Collection(nameof(OpProfilerTests))]
public class OpProfilerTests
{
    [Fact]
    public void Counts_forward_and_backward_calls_per_op_and_conv_shape()
    {
        var g = new Generator(3);
        var x = Tensor.Rand(new Shape(2, 3, 7, 5), g).RequireGrad();
        var w = Tensor.Rand(new Shape(4, 3, 3, 3), g).RequireGrad();
        var writer = new StringWriter();
        try
        {
            OpProfiler.IsEnabled = true;
            OpProfiler.Reset();
            var y = Ops.Conv2d(x, w, null, 1, 1);
            var loss = Ops.Sum(Ops.Tanh(y));
            OpProfiler.Mark("test section");
            loss.Backward();
            OpProfiler.Report(writer, steps: 1);
        }
        finally
        {
            OpProfiler.IsEnabled = false;
            OpProfiler.Reset();
        }
        var rows = writer.ToString().Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        string[] Row(string prefix) => rows.Single(r => string.Join(' ', r).StartsWith(prefix, StringComparison.Ordinal));
        // name…, fwd n, fwd ms, bwd n, bwd ms, total, %
        var conv = Row("Conv2d 3→4 k3×3 s1 7×5 N2");
        Assert.Equal(("1", "1"), (conv[^6], conv[^4]));
        var tanh = Row("Tanh ");
        Assert.Equal(("1", "1"), (tanh[^6], tanh[^4]));
        Assert.Equal("1", Row("[test section]")[^6]);
        Assert.NotNull(x.Grad);
        Assert.NotNull(w.Grad);
    }
}
