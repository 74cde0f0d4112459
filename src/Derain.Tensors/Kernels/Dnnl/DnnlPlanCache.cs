namespace Derain.Tensors.Kernels.Dnnl;

/// <summary>
/// Plans by shape key, least recently used evicted (and disposed) beyond <see cref="Capacity"/>. Training
/// repeats a fixed set of shapes, so the cache is normally a plain map; the bound only matters when inference
/// sees ever new image sizes. Not thread-safe: used under the backend's lock.
/// </summary>
internal sealed class DnnlPlanCache<TKey>(int capacity) : IDisposable where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, DnnlPlan Plan)>> _map = [];
    private readonly LinkedList<(TKey Key, DnnlPlan Plan)> _order = new();

    public int Capacity { get; set; } = capacity;

    public int Count => _map.Count;

    /// <summary>The cached plan for <paramref name="key"/>, or a new one from <paramref name="create"/>.</summary>
    public DnnlPlan GetOrAdd(TKey key, Func<TKey, DnnlPlan> create)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Plan;
        }
        var plan = create(key);
        _map[key] = _order.AddFirst((key, plan));
        while (_map.Count > Math.Max(1, Capacity))
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _map.Remove(last.Value.Key);
            last.Value.Plan.Dispose();
        }
        return plan;
    }

    /// <summary>The cached plan, if any (for diagnostics).</summary>
    public DnnlPlan? Find(TKey key) => _map.TryGetValue(key, out var node) ? node.Value.Plan : null;

    public void Clear()
    {
        foreach (var (_, plan) in _order) plan.Dispose();
        _order.Clear();
        _map.Clear();
    }

    public void Dispose() => Clear();
}
