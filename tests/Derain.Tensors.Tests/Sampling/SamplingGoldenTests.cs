using Derain.Tensors.Serialization;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.Sampling;

/// <summary>
/// PyTorch 1.13 / torchvision 0.14 golden vectors (tools/golden/sampling.py): outputs and every input gradient
/// of deform_conv2d, grid_sample and interpolate, checked on our float32 path and our float64 path.
/// </summary>
public class SamplingGoldenTests
{
    private const string Group = "sampling";

    public static TheoryData<string> DeformCases => Cases("dcn_");
    public static TheoryData<string> GridCases => Cases("grid_");
    public static TheoryData<string> InterpolateCases => Cases("interp_");

    [Theory]
    [MemberData(nameof(DeformCases))]
    public void Deform_conv2d_matches_torchvision(string name) => Check(name, (f, dt) =>
    {
        var x = Input(f, "x", dt);
        var offset = Input(f, "offset", dt);
        var weight = Input(f, "weight", dt);
        var mask = f.ContainsKey("mask") ? Input(f, "mask", dt) : null;
        var bias = f.ContainsKey("bias") ? Input(f, "bias", dt) : null;
        var y = Ops.DeformConv2d(x, offset, weight, bias, mask, Pair(f, "stride"), Pair(f, "padding"), Pair(f, "dilation"),
            (int)f["groups"].Data[0]);
        var inputs = new List<(string, Tensor)> { ("x", x), ("offset", offset), ("weight", weight) };
        if (mask is not null) inputs.Add(("mask", mask));
        if (bias is not null) inputs.Add(("bias", bias));
        return (y, inputs);
    });

    [Theory]
    [MemberData(nameof(GridCases))]
    public void Grid_sample_matches_torch(string name) => Check(name, (f, dt) =>
    {
        var x = Input(f, "x", dt);
        var grid = Input(f, "grid", dt);
        var mode = f["mode"].Data[0] == 0 ? GridSampleMode.Bilinear : GridSampleMode.Nearest;
        var padding = f["padding"].Data[0] == 0 ? GridSamplePadding.Zeros : GridSamplePadding.Border;
        var y = Ops.GridSample(x, grid, mode, padding, alignCorners: f["align"].Data[0] != 0);
        return (y, [("x", x), ("grid", grid)]);
    });

    [Theory]
    [MemberData(nameof(InterpolateCases))]
    public void Interpolate_matches_torch(string name) => Check(name, (f, dt) =>
    {
        var x = Input(f, "x", dt);
        var mode = f["mode"].Data[0] == 0 ? InterpolateMode.Bilinear : InterpolateMode.Bicubic;
        bool align = f["align"].Data[0] != 0;
        var y = f.TryGetValue("size", out var size)
            ? Ops.Interpolate(x, (int)size.Data[0], (int)size.Data[1], mode, align)
            : Ops.InterpolateScale(x, f["scale"].Data[0], f["scale"].Data[1], mode, align, f["recompute"].Data[0] != 0);
        return (y, [("x", x)]);
    });

    /// <summary>
    /// Runs the op in float32 and float64 and compares the output and each input's gradient (for the seed
    /// grad_out) with the float64 PyTorch reference. Float32: output rtol 1e-5, gradients 1e-4 (atol scaled to
    /// the reference's magnitude for values near zero); float64: 1e-9.
    /// </summary>
    private static void Check(string name, Func<Dictionary<string, NpyArray>, DType, (Tensor Y, List<(string Name, Tensor T)> Inputs)> run)
    {
        var f = Golden.Load(Group, name);
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            var (y, inputs) = run(f, dt);
            bool single = dt == DType.Float32;
            double outScale = MaxAbs(f["out"].Data);
            Golden.AssertClose(f["out"], y, single ? 1e-5 : 1e-9, (single ? 1e-5 : 1e-10) * Math.Max(1, outScale), $"{name} {dt} output");
            using var seed = single ? f["grad_out"].ToTensor() : f["grad_out"].ToDoubleTensor();
            y.Backward(seed);
            foreach (var (inputName, t) in inputs)
            {
                var expected = f["grad_" + inputName];
                Assert.NotNull(t.Grad);
                double scale = Math.Max(1, MaxAbs(expected.Data));
                Golden.AssertClose(expected, t.Grad!, single ? 1e-4 : 1e-9, (single ? 1e-5 : 1e-10) * scale, $"{name} {dt} grad {inputName}");
            }
        }
    }

    private static Tensor Input(Dictionary<string, NpyArray> f, string key, DType dt)
        => (dt == DType.Float32 ? f[key].ToTensor() : f[key].ToDoubleTensor()).RequireGrad();

    private static (int, int) Pair(Dictionary<string, NpyArray> f, string key) => ((int)f[key].Data[0], (int)f[key].Data[1]);

    private static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);

    private static TheoryData<string> Cases(string prefix)
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(Golden.Root, Group);
        foreach (var file in Directory.GetFiles(dir, prefix + "*.npz").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }
}
