using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Core;

/// <summary>Broadcasting arithmetic and narrow against PyTorch (tools/golden/elementwise.py).</summary>
public class ElementwiseGoldenTests
{
    [Theory]
    [InlineData("same", DType.Float32)]
    [InlineData("row", DType.Float32)]
    [InlineData("col", DType.Float32)]
    [InlineData("both", DType.Float32)]
    [InlineData("rank5", DType.Float32)]
    [InlineData("rank5", DType.Float64)]
    [InlineData("both", DType.Float64)]
    public void Binary_ops_match_pytorch(string name, DType dtype)
    {
        var g = Golden.Load("elementwise", name);
        double rtol = dtype == DType.Float32 ? 1e-5 : 1e-12, atol = dtype == DType.Float32 ? 1e-6 : 1e-12;
        foreach (var op in new[] { "add", "sub", "mul", "div" })
        {
            var a = g["a"].ToDoubleTensor().To(dtype).RequireGrad();
            var b = g["b"].ToDoubleTensor().To(dtype).RequireGrad();
            var y = op switch { "add" => a + b, "sub" => a - b, "mul" => a * b, _ => a / b };
            Golden.AssertClose(g[op + "_y"], y, rtol, atol, $"{name} {op} forward");
            y.Backward(g[op + "_seed"].ToDoubleTensor().To(dtype));
            Golden.AssertClose(g[op + "_ga"], a.Grad!, rtol, atol, $"{name} {op} grad a");
            Golden.AssertClose(g[op + "_gb"], b.Grad!, rtol * 10, atol * 10, $"{name} {op} grad b");
        }
    }

    [Fact]
    public void Narrow_matches_pytorch()
    {
        var g = Golden.Load("elementwise", "narrow");
        var x = g["x"].ToTensor().RequireGrad();
        var y = Ops.Narrow(x, 1, 1, 3);
        Golden.AssertClose(g["y"], y, 0, 0, "narrow forward");
        y.Backward(g["seed"].ToTensor());
        Golden.AssertClose(g["gx"], x.Grad!, 0, 0, "narrow grad");
    }
}
