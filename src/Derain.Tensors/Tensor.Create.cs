using Derain.Tensors.Memory;

namespace Derain.Tensors;

public sealed partial class Tensor
{
    /// <summary>torch.zeros</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        t.ClearData();
        return t;
    }

    /// <summary>torch.ones</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>torch.full</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32) t.Span<float>().Fill((float)value);
        else t.Span<double>().Fill(value);
        return t;
    }

    /// <summary>A zero-dimensional tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full(new Shape(), value, dtype);

    /// <summary>torch.zeros_like</summary>
    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape, t.DType);

    /// <summary>torch.ones_like</summary>
    public static Tensor OnesLike(Tensor t) => Ones(t.Shape, t.DType);

    /// <summary>A float32 tensor with a copy of <paramref name="data"/> in the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        var s = CheckCount(data.Length, shape);
        var t = Empty(s, DType.Float32);
        data.AsSpan().CopyTo(t.Span<float>());
        return t;
    }

    /// <summary>A float64 tensor with a copy of <paramref name="data"/> in the given shape.</summary>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        var s = CheckCount(data.Length, shape);
        var t = Empty(s, DType.Float64);
        data.AsSpan().CopyTo(t.Span<double>());
        return t;
    }

    /// <summary>A float32 tensor that uses <paramref name="data"/> directly, without copying (never pooled).</summary>
    public static Tensor Wrap(float[] data, params int[] shape)
        => new(new Storage(data), 0, CheckCount(data.Length, shape));

    /// <summary>A float64 tensor that uses <paramref name="data"/> directly, without copying (never pooled).</summary>
    public static Tensor Wrap(double[] data, params int[] shape)
        => new(new Storage(data), 0, CheckCount(data.Length, shape));

    /// <summary>Uniform [low, high) samples from <paramref name="generator"/> (torch.rand).</summary>
    public static Tensor Rand(Shape shape, Generator generator, double low = 0, double high = 1, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32)
        {
            var s = t.Span<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (float)(low + (high - low) * generator.NextDouble());
        }
        else
        {
            var s = t.Span<double>();
            for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * generator.NextDouble();
        }
        return t;
    }

    /// <summary>Normal samples N(mean, std²) from <paramref name="generator"/> (torch.randn).</summary>
    public static Tensor Randn(Shape shape, Generator generator, double mean = 0, double std = 1, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32)
        {
            var s = t.Span<float>();
            for (int i = 0; i < s.Length; i++) s[i] = (float)(mean + std * generator.NextGaussian());
        }
        else
        {
            var s = t.Span<double>();
            for (int i = 0; i < s.Length; i++) s[i] = mean + std * generator.NextGaussian();
        }
        return t;
    }

    /// <summary>0, 1, …, n-1 (torch.arange).</summary>
    public static Tensor Arange(int n, DType dtype = DType.Float32)
    {
        var t = Empty(new Shape(n), dtype);
        if (dtype == DType.Float32) { var s = t.Span<float>(); for (int i = 0; i < n; i++) s[i] = i; }
        else { var s = t.Span<double>(); for (int i = 0; i < n; i++) s[i] = i; }
        return t;
    }

    /// <summary>A copy in another dtype (torch.Tensor.to(dtype)); the copy is a graph node when gradients flow.</summary>
    public Tensor To(DType dtype) => Ops.Cast(this, dtype);

    /// <summary>A deep copy that stays in the graph (torch.Tensor.clone()).</summary>
    public Tensor Clone() => Ops.Clone(this);

    internal void ClearData()
    {
        if (DType == DType.Float32) Span<float>().Clear();
        else Span<double>().Clear();
    }

    private static Shape CheckCount(int count, int[] shape)
    {
        var s = new Shape(shape);
        if (s.NumElements != count)
            throw new ArgumentException($"{count} values do not fill shape {s} ({s.NumElements} elements).");
        return s;
    }
}
