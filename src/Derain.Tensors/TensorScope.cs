namespace Derain.Tensors;

/// <summary>
/// Deterministic release: every tensor created on this thread while a scope is open is disposed when the
/// scope ends, returning its buffer to the pool (like TorchSharp's DisposeScope). Tensors that must outlive
/// the scope are kept with <see cref="Keep"/> (moved to the enclosing scope, or to none).
/// A training step in a scope runs in flat memory however many steps follow.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _outer;
    private List<Tensor>? _owned = [];

    private TensorScope()
    {
        _outer = _current;
        _current = this;
    }

    /// <summary>Opens a scope on this thread; dispose it (using) to release what it owns.</summary>
    public static TensorScope Begin() => new();

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Number of tensors the scope will dispose.</summary>
    public int Count => _owned?.Count ?? 0;

    internal static void Register(Tensor t) => _current?._owned?.Add(t);

    /// <summary>Moves <paramref name="tensors"/> out of the current scope to the enclosing one (or to none).</summary>
    public static void Keep(params Tensor[] tensors)
    {
        var scope = _current;
        if (scope?._owned is null) return;
        foreach (var t in tensors)
        {
            int i = scope._owned.LastIndexOf(t);
            if (i < 0) continue;
            scope._owned.RemoveAt(i);
            scope._outer?._owned?.Add(t);
        }
    }

    /// <summary>Removes <paramref name="t"/> from every open scope: it lives until disposed or collected.</summary>
    public static void Detach(Tensor t)
    {
        for (var s = _current; s is not null; s = s._outer)
        {
            if (s._owned is null) continue;
            int i = s._owned.LastIndexOf(t);
            if (i >= 0) { s._owned.RemoveAt(i); return; }
        }
    }

    /// <summary>Disposes every tensor the scope still owns.</summary>
    public void Dispose()
    {
        if (_owned is null) return;
        if (_current != this)
            throw new InvalidOperationException("Tensor scopes must be disposed in the reverse order they were opened.");
        foreach (var t in _owned) t.Dispose();
        _owned = null;
        _current = _outer;
    }
}
