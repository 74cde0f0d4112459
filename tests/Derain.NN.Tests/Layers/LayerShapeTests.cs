using System.Text.Json;
using Derain.NN.Layers;
using Derain.NN.Modules;
using Derain.Tensors;
using Derain.Tensors.Tests.Infrastructure;

namespace Derain.NN.Tests.Layers;

/// <summary>Each layer's state-dict names and shapes equal PyTorch's for the same constructor arguments (tools/golden/nn.py).</summary>
public class LayerShapeTests
{
    private static readonly Generator G = new(1);

    public static TheoryData<string> Names => new() { "conv1d", "conv2d", "conv3d", "convT", "linear", "layernorm", "batchnorm", "instancenorm_affine", "prelu" };

    private static Module Make(string name) => name switch
    {
        "conv1d" => ConvNd.Conv1d(1024, 512, 1, G),
        "conv2d" => ConvNd.Conv2d(8, 16, 3, G, stride: 2, padding: 1, groups: 2),
        "conv3d" => ConvNd.Conv3d(64, 128, [3, 3, 3], G, stride: [1, 2, 2], padding: [1, 1, 1]),
        "convT" => new ConvTranspose2d(64, 32, 3, G, stride: 2, padding: 1, outputPadding: 1),
        "linear" => new Linear(12544, 512, G),
        "layernorm" => new LayerNorm(512),
        "batchnorm" => new BatchNorm(24),
        "instancenorm_affine" => new InstanceNorm(8, affine: true),
        "prelu" => new PRelu(24),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Names_and_shapes_match_pytorch(string name)
    {
        var path = Path.Combine(Golden.Root, "nn", "layer_shapes.json");
        var doc = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty(name);
        var expected = doc.EnumerateArray().Select(e => (e[0].GetString()!, e[1].EnumerateArray().Select(d => d.GetInt32()).ToArray())).ToList();
        var actual = Make(name).StateDict().Select(kv => (kv.Key, kv.Value.Shape.ToArray())).ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Key));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Item2, actual[i].Item2);
    }

    [Fact]
    public void Layers_run_forward_with_the_expected_output_shapes()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Randn(new Shape(1, 64, 5, 16, 16), G);
        Assert.Equal(new Shape(1, 128, 5, 8, 8), ((ConvNd)Make("conv3d")).Forward(x).Shape);
        var t = Tensor.Randn(new Shape(1, 64, 8, 8), G);
        Assert.Equal(new Shape(1, 32, 16, 16), ((ConvTranspose2d)Make("convT")).Forward(t).Shape);
        var tokens = Tensor.Randn(new Shape(1, 1024, 20), G);
        Assert.Equal(new Shape(1, 512, 20), ((ConvNd)Make("conv1d")).Forward(tokens).Shape);
        var dcn = new ModulatedDeformConv2d(8, 4, 3, G, padding: 1, deformGroups: 2);
        var img = Tensor.Randn(new Shape(1, 8, 6, 6), G);
        var y = dcn.Forward(img, Tensor.Zeros(new Shape(1, 2 * 2 * 9, 6, 6)), Tensor.Ones(new Shape(1, 2 * 9, 6, 6)));
        // Zero offsets and unit mask: a deformable conv is a plain conv.
        var plain = Ops.Conv2d(img, dcn.Weight, dcn.Bias?.Data, padding: 1);
        Assert.Equal(plain.ToArray(), y.ToArray(), new FloatTolerance(1e-5f));
    }

    private sealed class FloatTolerance(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tol * (1 + Math.Abs(b));
        public int GetHashCode(float v) => 0;
    }
}
