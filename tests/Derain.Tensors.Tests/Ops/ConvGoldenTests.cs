using Derain.Tensors.Serialization;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.OpTests;

/// <summary>
/// Convolution, transposed convolution, linear and matrix products against PyTorch (tools/golden/conv.py):
/// outputs and all gradients, on both the float32 path (whatever backend serves it) and the float64 path.
/// </summary>
public class ConvGoldenTests
{
    public static TheoryData<string, bool> ConvCases() => Cases(
        "conv2d_basic", "conv2d_stride_dilation_groups", "conv2d_same_k7_s2", "conv2d_same_k3_s1_dilation2",
        "conv2d_asymmetric", "conv2d_pointwise", "conv2d_depthwise", "conv1d", "conv1d_same", "conv3d", "conv3d_groups",
        "conv_transpose2d", "conv_transpose2d_output_padding_groups", "conv_transpose2d_dilation");

    public static TheoryData<string, bool> LinearCases() => Cases("linear", "linear_no_bias");

    public static TheoryData<string, bool> MatMulCases() => Cases("matmul_2d", "matmul_broadcast", "matmul_vector_matrix", "bmm");

    private static TheoryData<string, bool> Cases(params string[] names)
    {
        var d = new TheoryData<string, bool>();
        foreach (var n in names)
        {
            d.Add(n, false);
            d.Add(n, true);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Convolution_matches_pytorch(string name, bool float64)
    {
        var c = Golden.Load("conv", name);
        var (x, w, b) = (Input(c["x"], float64), Input(c["w"], float64), c["b"].Data.Length == 0 ? null : Input(c["b"], float64));
        int[] I(string key) => c[key].Data.Select(v => (int)v).ToArray();
        int[] stride = I("stride"), dilation = I("dilation"), outputPadding = I("output_padding");
        int groups = I("groups")[0];
        var padding = I("same")[0] == 1 ? ConvPadding.Same : ConvPadding.PerSide(I("pad_begin"), I("pad_end"));
        var y = name switch
        {
            _ when name.StartsWith("conv_transpose2d", StringComparison.Ordinal) =>
                Ops.ConvTranspose2d(x, w, b, stride, I("pad_begin"), outputPadding, groups, dilation),
            _ when name.StartsWith("conv1d", StringComparison.Ordinal) => Ops.Conv1d(x, w, b, stride[0], padding, dilation[0], groups),
            _ when name.StartsWith("conv2d", StringComparison.Ordinal) => Ops.Conv2d(x, w, b, stride, padding, dilation, groups),
            _ => Ops.Conv3d(x, w, b, stride, padding, dilation, groups),
        };
        CompareWithGradients(c, y, float64, ("dx", x), ("dw", w), ("db", b));
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear_matches_pytorch(string name, bool float64)
    {
        var c = Golden.Load("conv", name);
        var (x, w, b) = (Input(c["x"], float64), Input(c["w"], float64), c["b"].Data.Length == 0 ? null : Input(c["b"], float64));
        CompareWithGradients(c, Ops.Linear(x, w, b), float64, ("dx", x), ("dw", w), ("db", b));
    }

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void Matrix_products_match_pytorch(string name, bool float64)
    {
        var c = Golden.Load("conv", name);
        var (a, b) = (Input(c["a"], float64), Input(c["b"], float64));
        var y = name == "bmm" ? Ops.Bmm(a, b) : Ops.MatMul(a, b);
        CompareWithGradients(c, y, float64, ("da", a), ("db", b));
    }

    private static Tensor Input(NpyArray a, bool float64) => (float64 ? a.ToDoubleTensor() : a.ToTensor()).RequireGrad();

    /// <summary>Checks y, then back-propagates the stored seed and checks each named gradient (skipping absent inputs).</summary>
    private static void CompareWithGradients(Dictionary<string, NpyArray> c, Tensor y, bool float64, params (string Key, Tensor? Input)[] grads)
    {
        // float32 against float64 references: one rounding per operation over short sums; float64 is near exact.
        double fwdRtol = float64 ? 1e-10 : 1e-5, fwdAtol = float64 ? 1e-10 : 2e-5;
        double gradRtol = float64 ? 1e-10 : 1e-4, gradAtol = float64 ? 1e-10 : 1e-4;
        Golden.AssertClose(c["y"], y, fwdRtol, fwdAtol, "y");
        y.Backward(float64 ? c["gy"].ToDoubleTensor() : c["gy"].ToTensor());
        foreach (var (key, input) in grads)
        {
            if (input is null) continue;
            Assert.NotNull(input.Grad);
            Golden.AssertClose(c[key], input.Grad!, gradRtol, gradAtol, key);
        }
    }
}
