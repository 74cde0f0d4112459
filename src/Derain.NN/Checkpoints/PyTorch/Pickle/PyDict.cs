using System.Numerics;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// A Python dict or collections.OrderedDict: insertion order is kept (state dicts are ordered), and setting an
/// existing key replaces its value in place, as in Python.
/// </summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object, object>> _items = [];
    private readonly Dictionary<object, int> _index = new(PyKeyComparer.Instance);

    /// <summary>The entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object, object>> Items => _items;

    public int Count => _items.Count;

    /// <summary>
    /// Instance attributes an OrderedDict carried (BUILD state; state_dict() keeps _metadata there).
    /// They are not entries of the dict.
    /// </summary>
    public object? Attributes { get; set; }

    public void Set(object key, object value)
    {
        if (_index.TryGetValue(key, out int i)) _items[i] = new(_items[i].Key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(object key, out object value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _items[i].Value;
            return true;
        }
        value = PyNone.Instance;
        return false;
    }

    /// <summary>
    /// Python's key equality for the keys checkpoints use (str, int, float, bool compare by value; anything
    /// else by identity, which is all an unhashable-in-Python key could need here).
    /// </summary>
    private sealed class PyKeyComparer : IEqualityComparer<object>
    {
        public static readonly PyKeyComparer Instance = new();

        public new bool Equals(object? x, object? y) => (Normalize(x), Normalize(y)) switch
        {
            (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
            (BigInteger a, BigInteger b) => a == b,
            (double a, double b) => a.Equals(b),
            (BigInteger a, double b) => (double)a == b,
            (double a, BigInteger b) => a == (double)b,
            var (a, b) => ReferenceEquals(a, b),
        };

        public int GetHashCode(object obj) => Normalize(obj) switch
        {
            string s => string.GetHashCode(s, StringComparison.Ordinal),
            // Integral floats hash like the equal int (1.0 == 1 in Python).
            double d when d == Math.Floor(d) && Math.Abs(d) < 1e18 => ((BigInteger)d).GetHashCode(),
            double d => d.GetHashCode(),
            BigInteger b => b.GetHashCode(),
            var o => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(o),
        };

        // bool is an int in Python (True == 1), and long/BigInteger are one type there.
        private static object? Normalize(object? o) => o switch
        {
            bool b => new BigInteger(b ? 1 : 0),
            long l => new BigInteger(l),
            _ => o,
        };
    }
}
