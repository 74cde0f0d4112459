using System.Numerics;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>y = x &gt; 0 ? x : x·slope (leaky ReLU, and PReLU with one channel's weight). NaN stays NaN.</summary>
internal readonly struct LeakyLane<T>(T slope) : ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _s = slope;
    public T Apply(T x) => x > T.Zero ? x : x * _s;
    public Vector256<T> Apply(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * Vector256.Create(_s));
    public Vector512<T> Apply(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, x * Vector512.Create(_s));
}

/// <summary>dx = x &gt; 0 ? g : g·slope (torch's leaky_relu_backward: the slope applies at x = 0).</summary>
internal readonly struct LeakyGradLane<T>(T slope) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _s = slope;
    public T Apply(T x, T g) => x > T.Zero ? g : g * _s;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), g, g * Vector256.Create(_s));
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), g, g * Vector512.Create(_s));
}

/// <summary>dx = y &gt; 0 ? g : 0 (ReLU; exactly zero elsewhere, even for an infinite g, like threshold_backward).</summary>
internal readonly struct ReluGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T y, T g) => y > T.Zero ? g : T.Zero;
    public Vector256<T> Apply(Vector256<T> y, Vector256<T> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<T>.Zero), g, Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> y, Vector512<T> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<T>.Zero), g, Vector512<T>.Zero);
}

/// <summary>The PReLU weight-gradient term: x &gt; 0 ? 0 : x·g.</summary>
internal readonly struct NegativePartProductLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T x, T g) => x > T.Zero ? T.Zero : x * g;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.Zero, x * g);
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.Zero, x * g);
}

/// <summary>dx = g·(1 − y)·y from the sigmoid output.</summary>
internal readonly struct SigmoidGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T y, T g) => g * (T.One - y) * y;
    public Vector256<T> Apply(Vector256<T> y, Vector256<T> g) => g * (Vector256<T>.One - y) * y;
    public Vector512<T> Apply(Vector512<T> y, Vector512<T> g) => g * (Vector512<T>.One - y) * y;
}

/// <summary>dx = g·(1 − y²) from the tanh output.</summary>
internal readonly struct TanhGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T y, T g) => g * (T.One - y * y);
    public Vector256<T> Apply(Vector256<T> y, Vector256<T> g) => g * (Vector256<T>.One - y * y);
    public Vector512<T> Apply(Vector512<T> y, Vector512<T> g) => g * (Vector512<T>.One - y * y);
}

/// <summary>dx = lo ≤ x ≤ hi ? g : 0 (torch's clamp gradient passes at both bounds; NaN inputs get 0).</summary>
internal readonly struct ClampGradLane<T>(T lo, T hi) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _lo = lo, _hi = hi;
    public T Apply(T x, T g) => x >= _lo && x <= _hi ? g : T.Zero;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g)
        => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(_lo)) & Vector256.LessThanOrEqual(x, Vector256.Create(_hi)), g, Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g)
        => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(_lo)) & Vector512.LessThanOrEqual(x, Vector512.Create(_hi)), g, Vector512<T>.Zero);
}

/// <summary>dx = g / (2y) from the sqrt output.</summary>
internal readonly struct SqrtGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T y, T g) => g / (y + y);
    public Vector256<T> Apply(Vector256<T> y, Vector256<T> g) => g / (y + y);
    public Vector512<T> Apply(Vector512<T> y, Vector512<T> g) => g / (y + y);
}

/// <summary>dx = g·sign(x) with sign(0) = 0 (abs'(0) = 0, like torch).</summary>
internal readonly struct AbsGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T x, T g) => x > T.Zero ? g : x < T.Zero ? -g : T.Zero;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), g,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -g, Vector256<T>.Zero));
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), g,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -g, Vector512<T>.Zero));
}

/// <summary>dx = 2x·g (square).</summary>
internal readonly struct SquareGradLane<T> : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Apply(T x, T g) => (x + x) * g;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> g) => (x + x) * g;
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> g) => (x + x) * g;
}
