using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.nn.functional.relu: max(x, 0). Gradient 0 at x = 0 (relu'(0) = 0, like torch).</summary>
    public static Tensor Relu(Tensor x) => UnaryMap(x, new ReluMap());

    /// <summary>
    /// torch.nn.functional.leaky_relu(input, negative_slope): x for x &gt; 0, slope·x otherwise. The gradient
    /// at x = 0 is the slope (torch's convention).
    /// </summary>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01) => UnaryMap(x, new LeakyReluMap(negativeSlope));

    /// <summary>torch.sigmoid: 1 / (1 + e^−x).</summary>
    public static Tensor Sigmoid(Tensor x) => UnaryMap(x, new SigmoidMap());

    /// <summary>torch.tanh (accurate to float rounding near 0, unlike a plain exp formula).</summary>
    public static Tensor Tanh(Tensor x) => UnaryMap(x, new TanhMap());

    /// <summary>
    /// torch.clamp(input, min, max): min(max(x, min), max); either bound may be null (not both). NaN stays NaN.
    /// The gradient passes where min ≤ x ≤ max, bounds included, like torch.
    /// </summary>
    public static Tensor Clamp(Tensor x, double? min, double? max)
    {
        if (min is null && max is null)
            throw new ArgumentException($"Clamp: at least one of min and max must be given (input {x.Shape}).");
        return UnaryMap(x, new ClampMap(min ?? double.NegativeInfinity, max ?? double.PositiveInfinity));
    }

    private readonly struct ReluMap : IUnaryMap
    {
        public string Name => "Relu";
        public bool BackwardUsesInput => false;
        public bool BackwardUsesOutput => true;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(y, g, dx, new ReluGradLane<T>());
    }

    private readonly struct LeakyReluMap(double slope) : IUnaryMap
    {
        public string Name => "LeakyRelu";
        public bool BackwardUsesInput => true;
        public bool BackwardUsesOutput => false;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(x, y, new LeakyLane<T>(T.CreateTruncating(slope)));
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(x, g, dx, new LeakyGradLane<T>(T.CreateTruncating(slope)));
    }

    private readonly struct SigmoidMap : IUnaryMap
    {
        public string Name => "Sigmoid";
        public bool BackwardUsesInput => false;
        public bool BackwardUsesOutput => true;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(y, g, dx, new SigmoidGradLane<T>());
    }

    private readonly struct TanhMap : IUnaryMap
    {
        public string Name => "Tanh";
        public bool BackwardUsesInput => false;
        public bool BackwardUsesOutput => true;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Transcendentals.Tanh(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(y, g, dx, new TanhGradLane<T>());
    }

    private readonly struct ClampMap(double min, double max) : IUnaryMap
    {
        public string Name => "Clamp";
        public bool BackwardUsesInput => true;
        public bool BackwardUsesOutput => false;

        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            // max then min, as torch does: with min > max every element becomes max.
            if (!double.IsNegativeInfinity(min)) TensorPrimitives.Max(x, T.CreateTruncating(min), y);
            else x.CopyTo(y);
            if (!double.IsPositiveInfinity(max)) TensorPrimitives.Min(y, T.CreateTruncating(max), y);
        }

        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(x, g, dx, new ClampGradLane<T>(T.CreateTruncating(min), T.CreateTruncating(max)));
    }
}
