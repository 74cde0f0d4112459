using System.Globalization;
using System.Text;
using Derain.Tensors.Autograd;
using Derain.Tensors.Memory;

namespace Derain.Tensors;

/// <summary>
/// A dense row-major tensor of float32 (or float64, for checks) with reverse-mode autograd.
/// Mirrors torch.Tensor. Every tensor is contiguous over its storage; views (reshape, narrowing the
/// leading dimensions) share storage, and everything else copies. Dispose a tensor, or let a
/// <see cref="TensorScope"/> dispose it, to return its buffer to the pool at once; otherwise the GC frees it.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly Storage _storage;
    private readonly int _offset;
    private bool _disposed;
    private bool _requiresGrad;

    internal Tensor(Storage storage, int offset, Shape shape, bool register = true)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
        if (offset + shape.NumElements > storage.Length)
            throw new InvalidOperationException($"Internal: view [{offset}, +{shape.NumElements}) exceeds storage of {storage.Length}.");
        if (register) TensorScope.Register(this);
    }

    /// <summary>A new tensor with unspecified contents (every kernel that creates one writes all of it).</summary>
    internal static Tensor Empty(Shape shape, DType dtype = DType.Float32)
        => new(new Storage(dtype, shape.NumElements), 0, shape);

    /// <summary>torch.Tensor.shape</summary>
    public Shape Shape { get; }

    /// <summary>torch.Tensor.dtype</summary>
    public DType DType => _storage.DType;

    /// <summary>Number of dimensions (torch.Tensor.dim()).</summary>
    public int Rank => Shape.Rank;

    /// <summary>torch.Tensor.numel()</summary>
    public int NumElements => Shape.NumElements;

    /// <summary>Size of one dimension; negative counts from the end.</summary>
    public int Size(int dim) => Shape[dim];

    /// <summary>An optional label used in error messages and graph dumps.</summary>
    public string? Name { get; set; }

    internal Storage Storage => _storage;
    internal int Offset => _offset;

    /// <summary>True once disposed; any data access then throws.</summary>
    public bool IsDisposed => _disposed;

    // ---------------------------------------------------------------- autograd state

    /// <summary>torch.Tensor.requires_grad. Only leaves (tensors no op produced) may be changed.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException("RequiresGrad can only be cleared on a leaf tensor; use Detach() on a tensor produced by an op.");
            if (value && DType != DType.Float32 && DType != DType.Float64)
                throw new InvalidOperationException("Only floating-point tensors can require gradients.");
            _requiresGrad = value;
        }
    }

    /// <summary>torch.Tensor.grad: the accumulated gradient of a leaf after Backward().</summary>
    public Tensor? Grad { get; set; }

    /// <summary>torch.Tensor.grad_fn: the node that produced this tensor, or null for a leaf.</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>torch.Tensor.is_leaf</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Sets RequiresGrad and returns this tensor (torch.Tensor.requires_grad_()).</summary>
    public Tensor RequireGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>torch.Tensor.backward(): reverse-mode gradients of this scalar (or with an explicit seed).</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
        => Engine.Backward(this, gradient, retainGraph);

    /// <summary>torch.Tensor.detach(): the same data, cut from the graph (shares storage).</summary>
    public Tensor Detach()
    {
        ThrowIfDisposed();
        _storage.AddRef();
        return new Tensor(_storage, _offset, Shape);
    }

    /// <summary>Drops the accumulated gradient (torch.Tensor.grad = None).</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    // ---------------------------------------------------------------- data access

    /// <summary>The elements as a span of <typeparamref name="T"/> (float for Float32, double for Float64).</summary>
    public Span<T> Span<T>()
    {
        ThrowIfDisposed();
        if (DTypeExtensions.Of<T>() != DType)
            throw new InvalidOperationException($"Tensor{Shape} is {DType}; asked for {typeof(T).Name} elements.");
        return _storage.Span<T>(_offset, NumElements);
    }

    /// <summary>Float32 elements (throws for other dtypes).</summary>
    public Span<float> AsSpan() => Span<float>();

    /// <summary>Copies the elements out as float32 (converting float64).</summary>
    public float[] ToArray()
    {
        if (DType == DType.Float32) return Span<float>().ToArray();
        var d = Span<double>();
        var r = new float[d.Length];
        for (int i = 0; i < d.Length; i++) r[i] = (float)d[i];
        return r;
    }

    /// <summary>Copies the elements out as float64.</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64) return Span<double>().ToArray();
        var f = Span<float>();
        var r = new double[f.Length];
        for (int i = 0; i < f.Length; i++) r[i] = f[i];
        return r;
    }

    /// <summary>The single element of a one-element tensor (torch.Tensor.item()).</summary>
    public double Item()
    {
        if (NumElements != 1)
            throw new InvalidOperationException($"Item() needs a one-element tensor; this one has shape {Shape}.");
        return DType == DType.Float32 ? Span<float>()[0] : Span<double>()[0];
    }

    /// <summary>Marks the storage as modified in place (invalidates caches keyed on it).</summary>
    public void MarkModified() => Interlocked.Increment(ref _storage.Version);

    /// <summary>A counter that changes whenever the storage is written in place.</summary>
    public int Version => _storage.Version;

    /// <summary>True when this tensor alone uses its whole buffer (no view, alias or saved copy shares it).</summary>
    internal bool OwnsWholeStorage => !_disposed && _offset == 0 && NumElements == _storage.Length && _storage.IsExclusive;

    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(Tensor), $"Tensor{Shape}{(Name is null ? "" : " '" + Name + "'")} was disposed.");
    }

    /// <summary>Releases this tensor's hold on its buffer; the buffer returns to the pool when no view uses it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _storage.Release();
    }

    /// <summary>A new tensor object over the same storage that the current scope does not own (for saved tensors).</summary>
    internal Tensor Alias()
    {
        ThrowIfDisposed();
        _storage.AddRef();
        return new Tensor(_storage, _offset, Shape, register: false);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(Shape).Append(' ').Append(DType);
        if (_disposed) return sb.Append(" (disposed)").ToString();
        if (RequiresGrad) sb.Append(" requires_grad");
        if (GradFn is not null) sb.Append(" grad_fn=").Append(GradFn.Name);
        int n = Math.Min(NumElements, 8);
        var vals = ToDoubleArray();
        sb.Append(" [");
        for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ", ").Append(vals[i].ToString("G6", CultureInfo.InvariantCulture));
        if (NumElements > n) sb.Append(", …");
        return sb.Append(']').ToString();
    }
}
