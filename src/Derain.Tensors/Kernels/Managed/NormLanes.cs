using System.Numerics;
using System.Runtime.Intrinsics;

namespace Derain.Tensors.Kernels.Managed;

/// <summary>y = (x − mean)·scale + shift (normalise, then a scalar affine).</summary>
internal readonly struct CenterScaleShift<T>(T mean, T scale, T shift) : ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _s = scale, _b = shift;
    public T Apply(T x) => (x - _m) * _s + _b;
    public Vector256<T> Apply(Vector256<T> x) => (x - Vector256.Create(_m)) * Vector256.Create(_s) + Vector256.Create(_b);
    public Vector512<T> Apply(Vector512<T> x) => (x - Vector512.Create(_m)) * Vector512.Create(_s) + Vector512.Create(_b);
}

/// <summary>
/// y = max((x − mean)·scale + shift, 0): <see cref="CenterScaleShift{T}"/> followed by ReLU in the same pass, with the
/// same arithmetic and the same maximum as TensorPrimitives.Max (so the values equal the two separate passes).
/// </summary>
internal readonly struct CenterScaleShiftRelu<T>(T mean, T scale, T shift) : ILane1<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _s = scale, _b = shift;
    public T Apply(T x) => T.Max((x - _m) * _s + _b, T.Zero);
    public Vector256<T> Apply(Vector256<T> x) => Vector256.Max((x - Vector256.Create(_m)) * Vector256.Create(_s) + Vector256.Create(_b), Vector256<T>.Zero);
    public Vector512<T> Apply(Vector512<T> x) => Vector512.Max((x - Vector512.Create(_m)) * Vector512.Create(_s) + Vector512.Create(_b), Vector512<T>.Zero);
}

/// <summary>y = (x − mean)·rstd·w (layer norm with a weight and no bias).</summary>
internal readonly struct NormScale<T>(T mean, T rstd) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _r = rstd;
    public T Apply(T x, T w) => (x - _m) * _r * w;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> w) => (x - Vector256.Create(_m)) * Vector256.Create(_r) * w;
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> w) => (x - Vector512.Create(_m)) * Vector512.Create(_r) * w;
}

/// <summary>y = (x − mean)·rstd + b (layer norm with a bias and no weight).</summary>
internal readonly struct NormShift<T>(T mean, T rstd) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _r = rstd;
    public T Apply(T x, T b) => (x - _m) * _r + b;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> b) => (x - Vector256.Create(_m)) * Vector256.Create(_r) + b;
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> b) => (x - Vector512.Create(_m)) * Vector512.Create(_r) + b;
}

/// <summary>y = (x − mean)·rstd·w + b (layer norm with weight and bias).</summary>
internal readonly struct NormAffine<T>(T mean, T rstd) : ILane3<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _r = rstd;
    public T Apply(T x, T w, T b) => (x - _m) * _r * w + b;
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> w, Vector256<T> b) => (x - Vector256.Create(_m)) * Vector256.Create(_r) * w + b;
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> w, Vector512<T> b) => (x - Vector512.Create(_m)) * Vector512.Create(_r) * w + b;
}

/// <summary>
/// dx = k·(g − c1 − (x − mean)·c2): the input gradient of a normalisation whose statistics came from x, with
/// g the gradient w.r.t. x̂ (dy·w), k = rstd (or w·rstd), c1 = mean(g), c2 = rstd²·mean(g·(x − mean)).
/// </summary>
internal readonly struct NormInputGrad<T>(T mean, T k, T c1, T c2) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _m = mean, _k = k, _c1 = c1, _c2 = c2;
    public T Apply(T g, T x) => _k * (g - _c1 - (x - _m) * _c2);
    public Vector256<T> Apply(Vector256<T> g, Vector256<T> x)
        => Vector256.Create(_k) * (g - Vector256.Create(_c1) - (x - Vector256.Create(_m)) * Vector256.Create(_c2));
    public Vector512<T> Apply(Vector512<T> g, Vector512<T> x)
        => Vector512.Create(_k) * (g - Vector512.Create(_c1) - (x - Vector512.Create(_m)) * Vector512.Create(_c2));
}

/// <summary>
/// g = y &gt; 0 ? dy : 0 with y = max((x − mean)·scale + shift, 0) recomputed from x by <see cref="CenterScaleShiftRelu{T}"/>
/// (the fused batch-norm + ReLU forward's arithmetic, so the mask equals the one the stored output would give):
/// <see cref="ReluGradLane{T}"/> without reading y. Apply(dy, x).
/// </summary>
internal readonly struct ReluMaskedGrad<T>(T mean, T scale, T shift) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly CenterScaleShiftRelu<T> _y = new(mean, scale, shift);
    public T Apply(T dy, T x) => new ReluGradLane<T>().Apply(_y.Apply(x), dy);
    public Vector256<T> Apply(Vector256<T> dy, Vector256<T> x) => new ReluGradLane<T>().Apply(_y.Apply(x), dy);
    public Vector512<T> Apply(Vector512<T> dy, Vector512<T> x) => new ReluGradLane<T>().Apply(_y.Apply(x), dy);
}

/// <summary>
/// <see cref="NormInputGrad{T}"/> of the ReLU-masked gradient (<see cref="ReluMaskedGrad{T}"/>): dx from dy and x in one
/// pass, without a masked copy of dy. Apply(dy, x).
/// </summary>
internal readonly struct ReluMaskedNormInputGrad<T>(ReluMaskedGrad<T> mask, NormInputGrad<T> grad) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ReluMaskedGrad<T> _mask = mask;
    private readonly NormInputGrad<T> _grad = grad;
    public T Apply(T dy, T x) => _grad.Apply(_mask.Apply(dy, x), x);
    public Vector256<T> Apply(Vector256<T> dy, Vector256<T> x) => _grad.Apply(_mask.Apply(dy, x), x);
    public Vector512<T> Apply(Vector512<T> dy, Vector512<T> x) => _grad.Apply(_mask.Apply(dy, x), x);
}

/// <summary><see cref="ReluMaskedGrad{T}"/>·k (the input gradient with fixed statistics). Apply(dy, x).</summary>
internal readonly struct ReluMaskedScale<T>(ReluMaskedGrad<T> mask, T k) : ILane2<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ReluMaskedGrad<T> _mask = mask;
    private readonly T _k = k;
    public T Apply(T dy, T x) => _mask.Apply(dy, x) * _k;
    public Vector256<T> Apply(Vector256<T> dy, Vector256<T> x) => _mask.Apply(dy, x) * Vector256.Create(_k);
    public Vector512<T> Apply(Vector512<T> dy, Vector512<T> x) => _mask.Apply(dy, x) * Vector512.Create(_k);
}
