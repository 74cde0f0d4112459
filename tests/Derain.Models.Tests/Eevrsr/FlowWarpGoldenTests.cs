using Derain.Models.Tests.Infrastructure;
using Derain.Tensors;
using Derain.Tensors.Serialization;

namespace Derain.Models.Tests.Eevrsr;

/// <summary>
/// <see cref="Ops.FlowWarpClamped"/> against the PyTorch reference of EEVRSR's sampler (Fixtures/eevrsr/warp_clamped.npz,
/// tools/golden/eevrsr.py): image [2,3,9,11], flows whose ×64 displacement spans ±7 px on an 11×9 image, so more
/// than half the samples leave it, plus samples placed exactly on pixel centres, on the last column and row and
/// on −1. The reference was itself cross-checked against a per-pixel loop and finite differences.
/// </summary>
public sealed class FlowWarpGoldenTests
{
    private static readonly Dictionary<string, NpyArray> Case = EevrsrGolden.Load("warp_clamped");

    [Fact]
    public void Float64_forward_and_gradients_match_the_reference()
    {
        var (y, dImage, dFlow) = Run(float64: true);
        // Rounding differences only (float64 with O(10) terms per value): 1e-10 relative to each tensor's largest value.
        EevrsrGolden.AssertClose(Case["out"], y, 1e-10, "out", floor: 1);
        EevrsrGolden.AssertClose(Case["grad_image"], dImage, 1e-10, "grad_image", floor: 1);
        EevrsrGolden.AssertClose(Case["grad_flow"], dFlow, 1e-10, "grad_flow", floor: 1);
    }

    [Fact]
    public void Float32_forward_and_gradients_match_the_reference()
    {
        // The inputs are float32-representable and no random sample position lies within 1e-4 px of a ⌊·⌋ jump
        // (float32 positions differ from float64 by < 5e-7 px), so float32 picks the same corners: only rounding
        // of a few multiply-adds differs, 1e-5 relative leaves ~50× headroom over float32's 2e-7.
        var (y, dImage, dFlow) = Run(float64: false);
        EevrsrGolden.AssertClose(Case["out"], y, 1e-5, "out", floor: 1);
        EevrsrGolden.AssertClose(Case["grad_image"], dImage, 1e-5, "grad_image", floor: 1);
        EevrsrGolden.AssertClose(Case["grad_flow"], dFlow, 1e-5, "grad_flow", floor: 1);
    }

    [Fact]
    public void The_fixture_exercises_samples_inside_and_outside_the_image()
    {
        // Guards the fixture itself: a warp that returned zeros everywhere, or never left the image, would test little.
        var values = Case["out"].Data;
        int zeros = values.Count(v => Math.Abs(v) < 1e-12);
        Assert.InRange(zeros, values.Length / 4, values.Length * 3 / 4);
    }

    private static (Tensor Y, Tensor DImage, Tensor DFlow) Run(bool float64)
    {
        Tensor Make(NpyArray a) => float64 ? a.ToDoubleTensor() : a.ToTensor();
        var image = Make(Case["image"]).RequireGrad(true);
        var flow = Make(Case["flow"]).RequireGrad(true);
        var seed = Make(Case["grad_out"]);
        double scale = Case["scale"].Data[0];
        var y = Ops.FlowWarpClamped(image, flow, scale);
        y.Backward(seed);
        return (y, image.Grad!, flow.Grad!);
    }
}
