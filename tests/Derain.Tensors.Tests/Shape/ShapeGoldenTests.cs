using Derain.Tensors.Serialization;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.Tensors.Tests.ShapeOps;

/// <summary>
/// PyTorch golden vectors from tools/golden/shape.py: every case runs in float32 and float64, and compares the
/// output, the input gradients for the stored seed gradient and, where the op returns them, the indices.
/// </summary>
public class ShapeGoldenTests
{
    private static int[] Ints(NpyArray a) => a.Data.Select(v => checked((int)v)).ToArray();

    private static Tensor Load(NpyArray a, DType dtype) => dtype == DType.Float32 ? a.ToTensor() : a.ToDoubleTensor();

    private static IndexTensor Index(NpyArray a) => new(Ints(a), a.Shape);

    private static void AssertIndices(NpyArray expected, IndexTensor actual, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.ToArray()), $"{what}: index shape {actual.Shape}, expected {Shape.Format(expected.Shape)}.");
        Assert.Equal(Ints(expected), actual.ToArray());
    }

    /// <summary>Float32 data movement is exact; sums (pools, fold) round, hence the small tolerances.</summary>
    private static (double Rtol, double Atol) Forward(DType d) => d == DType.Float32 ? (1e-6, 1e-6) : (1e-12, 1e-12);

    private static (double Rtol, double Atol) Gradient(DType d) => d == DType.Float32 ? (1e-5, 1e-5) : (1e-12, 1e-12);

    /// <summary>Single-input, single-output cases: each maps the case's stored parameters to the op.</summary>
    private static readonly Dictionary<string, Func<Tensor, Dictionary<string, NpyArray>, Tensor>> Single = new()
    {
        ["pad"] = (x, c) => Ops.Pad(x, Ints(c["pad"]), (PadMode)Ints(c["mode"])[0], c["value"].Data[0]),
        ["permute"] = (x, c) => Ops.Permute(x, Ints(c["perm"])),
        ["transpose"] = (x, c) => Ops.Transpose(x, -1, -2),
        ["flip"] = (x, c) => Ops.Flip(x, Ints(c["dims"])),
        ["repeat"] = (x, c) => Ops.Repeat(x, Ints(c["repeats"])),
        ["expand"] = (x, c) => Ops.Expand(x, Ints(c["sizes"])),
        ["index_select"] = (x, c) => Ops.IndexSelect(x, Ints(c["dim"])[0], Index(c["idx"])),
        ["gather"] = (x, c) => Ops.Gather(x, Ints(c["dim"])[0], Index(c["idx"])),
        ["pixel_shuffle"] = (x, c) => Ops.PixelShuffle(x, Ints(c["r"])[0]),
        ["pixel_unshuffle"] = (x, c) => Ops.PixelUnshuffle(x, Ints(c["r"])[0]),
        ["unfold"] = (x, c) => Ops.Unfold(x, Ints(c["kernel"]), Ints(c["dilation"]), Ints(c["padding"]), Ints(c["stride"])),
        ["fold"] = (x, c) => Ops.Fold(x, Ints(c["output_size"]), Ints(c["kernel"]), Ints(c["dilation"]), Ints(c["padding"]), Ints(c["stride"])),
        ["avgpool"] = (x, c) => Ops.AvgPool2d(x, Ints(c["kernel"]), Ints(c["stride"]), Ints(c["padding"]),
            Ints(c["ceil"])[0] == 1, Ints(c["count_include_pad"])[0] == 1, Ints(c["divisor"])[0] is > 0 and var d ? d : null),
    };

    public static TheoryData<string> SingleCases => new(
        "pad_constant_2d", "pad_constant_negative", "pad_constant_3d", "pad_reflect_1d", "pad_reflect_2d", "pad_reflect_3d",
        "pad_replicate_1d", "pad_replicate_2d", "pad_replicate_3d",
        "permute_nchw_nhwc", "permute_nhwc_nchw", "permute_rank5", "permute_rank2", "transpose_last_two",
        "flip_1_3", "flip_0", "flip_all", "repeat_2312", "repeat_same_rank", "expand_lead", "expand_keep",
        "index_select_dim1", "index_select_dim0", "gather_dim1", "gather_dim_last",
        "pixel_shuffle_r2_5d", "pixel_shuffle_r3", "pixel_unshuffle_r3", "pixel_unshuffle_r2_3d",
        "unfold_vimp_7s3p3", "unfold_dilated", "unfold_unbatched", "fold_vimp_7s3p3", "fold_dilated", "fold_overlap_s1",
        "avgpool_k3s2p1_ceil", "avgpool_k32_ceil_nopad", "avgpool_spynet_k2", "avgpool_divisor");

    private static Func<Tensor, Dictionary<string, NpyArray>, Tensor> OpFor(string name) =>
        Single.Where(kv => name.StartsWith(kv.Key + "_", StringComparison.Ordinal)).OrderByDescending(kv => kv.Key.Length).First().Value;

    [Theory]
    [MemberData(nameof(SingleCases))]
    public void Single_output_ops_match_pytorch(string name)
    {
        var c = Golden.Load("shape", name);
        var op = OpFor(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Load(c["x"], dtype).RequireGrad();
            var y = op(x, c);
            var (fr, fa) = Forward(dtype);
            Golden.AssertClose(c["y"], y, fr, fa, $"{name} {dtype} output");
            y.Backward(Load(c["gy"], dtype));
            var (gr, ga) = Gradient(dtype);
            Golden.AssertClose(c["gx"], x.Grad!, gr, ga, $"{name} {dtype} gradient");
        }
    }

    [Theory]
    [InlineData("cat_dim1")]
    [InlineData("cat_dim0")]
    [InlineData("cat_last")]
    public void Concat_matches_pytorch(string name)
    {
        var c = Golden.Load("shape", name);
        int n = c.Keys.Count(k => k.StartsWith('x'));
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var xs = Enumerable.Range(0, n).Select(i => Load(c[$"x{i}"], dtype).RequireGrad()).ToArray();
            var y = Ops.Concat(xs, Ints(c["dim"])[0]);
            Golden.AssertClose(c["y"], y, 0, 0, $"{name} {dtype} output");
            y.Backward(Load(c["gy"], dtype));
            for (int i = 0; i < n; i++) Golden.AssertClose(c[$"gx{i}"], xs[i].Grad!, 0, 0, $"{name} {dtype} gradient {i}");
        }
    }

    [Theory]
    [InlineData("chunk_5_of_7")]
    [InlineData("split_size_2")]
    [InlineData("split_sizes")]
    public void Split_and_chunk_match_pytorch(string name)
    {
        var c = Golden.Load("shape", name);
        int kind = Ints(c["kind"])[0], dim = Ints(c["dim"])[0];
        var arg = Ints(c["arg"]);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Load(c["x"], dtype).RequireGrad();
            var parts = kind switch
            {
                0 => Ops.Chunk(x, arg[0], dim),
                1 => Ops.Split(x, arg[0], dim),
                _ => Ops.Split(x, arg, dim),
            };
            Assert.Equal(c.Keys.Count(k => k.StartsWith('y')), parts.Length);
            // Each part is its own graph node; their backward passes add up in x.Grad.
            for (int i = 0; i < parts.Length; i++)
            {
                Golden.AssertClose(c[$"y{i}"], parts[i], 0, 0, $"{name} {dtype} part {i}");
                parts[i].Backward(Load(c[$"gy{i}"], dtype));
            }
            Golden.AssertClose(c["gx"], x.Grad!, 1e-12, 0, $"{name} {dtype} gradient");
        }
    }

    [Fact]
    public void Argmax_matches_pytorch()
    {
        var c = Golden.Load("shape", "argmax_dim1");
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            AssertIndices(c["idx"], Ops.Argmax(Load(c["x"], dtype), Ints(c["dim"])[0]), $"argmax {dtype}");
    }

    [Theory]
    [InlineData("topk_largest_dim1")]
    [InlineData("topk_smallest_last")]
    public void TopK_matches_pytorch(string name)
    {
        var c = Golden.Load("shape", name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Load(c["x"], dtype).RequireGrad();
            var (values, indices) = Ops.TopK(x, Ints(c["k"])[0], Ints(c["dim"])[0], Ints(c["largest"])[0] == 1);
            AssertIndices(c["idx"], indices, $"{name} {dtype} indices");
            Golden.AssertClose(c["y"], values, 0, 0, $"{name} {dtype} values");
            values.Backward(Load(c["gy"], dtype));
            Golden.AssertClose(c["gx"], x.Grad!, 0, 0, $"{name} {dtype} gradient");
        }
    }

    [Theory]
    [InlineData("maxpool_k2s2_mgid")]
    [InlineData("maxpool_k3s2p1_d2_ceil")]
    [InlineData("maxpool_k32_s1_unbatched")]
    [InlineData("maxpool_overlap_ceil")]
    public void MaxPool2d_matches_pytorch(string name)
    {
        var c = Golden.Load("shape", name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Load(c["x"], dtype).RequireGrad();
            var (y, indices) = Ops.MaxPool2dWithIndices(x, Ints(c["kernel"]), Ints(c["stride"]), Ints(c["padding"]),
                Ints(c["dilation"]), Ints(c["ceil"])[0] == 1);
            Golden.AssertClose(c["y"], y, 0, 0, $"{name} {dtype} output");
            AssertIndices(c["idx"], indices, $"{name} {dtype} indices");
            y.Backward(Load(c["gy"], dtype));
            var (gr, ga) = Gradient(dtype);
            Golden.AssertClose(c["gx"], x.Grad!, gr, ga, $"{name} {dtype} gradient");
        }
    }
}
