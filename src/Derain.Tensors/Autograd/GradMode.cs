namespace Derain.Tensors.Autograd;

/// <summary>
/// Whether ops record the graph on this thread (torch.is_grad_enabled). Use
/// <c>using (GradMode.NoGrad()) { … }</c> for inference: nothing is recorded, no tensor is saved for a
/// backward pass, so each intermediate becomes garbage (or is disposed by a scope) as soon as its consumer ran.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>torch.is_grad_enabled()</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>torch.no_grad(): disables recording until the returned handle is disposed.</summary>
    public static Restore NoGrad() => Set(false);

    /// <summary>torch.enable_grad(): enables recording until the returned handle is disposed.</summary>
    public static Restore EnableGrad() => Set(true);

    private static Restore Set(bool enabled)
    {
        var r = new Restore(!_disabled);
        _disabled = !enabled;
        return r;
    }

    /// <summary>Puts the previous mode back when disposed.</summary>
    public readonly struct Restore : IDisposable
    {
        private readonly bool _wasEnabled;
        internal Restore(bool wasEnabled) => _wasEnabled = wasEnabled;
        public void Dispose() => _disabled = !_wasEnabled;
    }
}
