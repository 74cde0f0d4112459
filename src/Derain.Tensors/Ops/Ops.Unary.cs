using System.Numerics;
using System.Numerics.Tensors;
using Derain.Tensors.Kernels.Managed;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>torch.sqrt. Gradient g/(2·√x) (infinite at 0, like torch).</summary>
    public static Tensor Sqrt(Tensor x) => UnaryMap(x, new SqrtMap());

    /// <summary>torch.exp</summary>
    public static Tensor Exp(Tensor x) => UnaryMap(x, new ExpMap());

    /// <summary>torch.log (natural logarithm).</summary>
    public static Tensor Log(Tensor x) => UnaryMap(x, new LogMap());

    /// <summary>torch.abs. Gradient g·sign(x), with abs'(0) = 0 like torch.</summary>
    public static Tensor Abs(Tensor x) => UnaryMap(x, new AbsMap());

    /// <summary>torch.square: x².</summary>
    public static Tensor Square(Tensor x) => UnaryMap(x, new SquareMap());

    /// <summary>
    /// torch.pow(input, exponent) with a scalar exponent (Math.Pow semantics: negative bases with integer
    /// exponents are fine, with fractional ones NaN). Gradient p·x^(p−1)·g, and exactly 0 for p = 0 like torch.
    /// </summary>
    public static Tensor Pow(Tensor x, double exponent) => UnaryMap(x, new PowMap(exponent));

    private readonly struct SqrtMap : IUnaryMap
    {
        public string Name => "Sqrt";
        public bool BackwardUsesInput => false;
        public bool BackwardUsesOutput => true;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(y, g, dx, new SqrtGradLane<T>());
    }

    private readonly struct ExpMap : IUnaryMap
    {
        public string Name => "Exp";
        public bool BackwardUsesInput => false;
        public bool BackwardUsesOutput => true;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => TensorPrimitives.Multiply(g, y, dx);
    }

    private readonly struct LogMap : IUnaryMap
    {
        public string Name => "Log";
        public bool BackwardUsesInput => true;
        public bool BackwardUsesOutput => false;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => TensorPrimitives.Divide(g, x, dx);
    }

    private readonly struct AbsMap : IUnaryMap
    {
        public string Name => "Abs";
        public bool BackwardUsesInput => true;
        public bool BackwardUsesOutput => false;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(x, g, dx, new AbsGradLane<T>());
    }

    private readonly struct SquareMap : IUnaryMap
    {
        public string Name => "Square";
        public bool BackwardUsesInput => true;
        public bool BackwardUsesOutput => false;
        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, x, y);
        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
            => LaneMaps.Map(x, g, dx, new SquareGradLane<T>());
    }

    private readonly struct PowMap(double exponent) : IUnaryMap
    {
        public string Name => "Pow";
        public bool BackwardUsesInput => exponent != 0;
        public bool BackwardUsesOutput => false;

        public void Forward<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Power(x, exponent, y);

        public void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (exponent == 0) { dx.Clear(); return; }
            if (exponent == 2) { LaneMaps.Map(x, g, dx, new SquareGradLane<T>()); return; }
            Power(x, exponent - 1, dx);
            TensorPrimitives.Multiply(dx, g, dx);
            TensorPrimitives.Multiply(dx, T.CreateTruncating(exponent), dx);
        }

        /// <summary>x^p; the common exponents avoid the general (slower) power routine.</summary>
        private static void Power<T>(ReadOnlySpan<T> x, double p, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (p == 0) y.Fill(T.One);
            else if (p == 1) x.CopyTo(y);
            else if (p == 2) TensorPrimitives.Multiply(x, x, y);
            else TensorPrimitives.Pow(x, T.CreateTruncating(p), y);
        }
    }
}
