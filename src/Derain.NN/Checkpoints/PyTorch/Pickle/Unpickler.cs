namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// A pickle virtual machine for the subset of the format torch.save writes (protocols 2–5, binary opcodes),
/// written from the opcode definitions of CPython's pickletools. It builds the inert object model of
/// PickleValues.cs (<see cref="PyDict"/>, <see cref="PyList"/>, …): globals go through <see cref="PickleGlobals"/>, calls through
/// <see cref="PickleCallables"/>, and persistent ids (torch's storages) through the caller's loader.
/// One instance reads one pickle; <see cref="Load"/> stops right after its STOP opcode.
/// </summary>
internal sealed partial class Unpickler
{
    private readonly PickleInput _in;
    private readonly Func<object, object> _persistentLoad;
    private readonly PickleLimits _limits;
    private readonly List<object> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object> _memo = [];

    private Unpickler(PickleInput input, Func<object, object> persistentLoad, PickleLimits limits)
    {
        _in = input;
        _persistentLoad = persistentLoad;
        _limits = limits;
    }

    /// <summary>
    /// Reads one pickle from <paramref name="stream"/>, which holds at most <paramref name="length"/> more bytes;
    /// <paramref name="consumed"/> tells how many it used. Errors are <see cref="InvalidDataException"/>s that start
    /// with <paramref name="source"/> and the byte offset of the offending opcode.
    /// </summary>
    public static object Load(Stream stream, long length, string source, Func<object, object> persistentLoad, PickleLimits? limits, out long consumed)
    {
        var u = new Unpickler(new PickleInput(stream, length), persistentLoad, limits ?? PickleLimits.Default);
        long opcodeAt = 0;
        try
        {
            while (true)
            {
                opcodeAt = u._in.Position;
                var op = (PickleOpcode)u._in.ReadByte();
                if (op == PickleOpcode.Stop)
                {
                    consumed = u._in.Position;
                    if (u._marks.Count != 0 || u._stack.Count != 1)
                        throw new InvalidDataException($"STOP with {u._stack.Count} values on the stack and {u._marks.Count} open MARKs.");
                    return u._stack[0];
                }
                u.Execute(op);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: at byte {opcodeAt}: {e.Message}", e);
        }
    }

    // ---------------------------------------------------------------- stack helpers

    private void Push(object value)
    {
        if (_stack.Count >= _limits.MaxStackItems)
            throw new InvalidDataException($"more than {_limits.MaxStackItems} values on the pickle stack; refused.");
        _stack.Add(value);
    }

    private object Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _stack.Count == _marks.Peek()))
            throw new InvalidDataException("an opcode needs a value but the stack (above the last MARK) is empty.");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object Peek()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _stack.Count == _marks.Peek()))
            throw new InvalidDataException("an opcode needs a value but the stack (above the last MARK) is empty.");
        return _stack[^1];
    }

    private void PushMark()
    {
        if (_marks.Count >= _limits.MaxMarks)
            throw new InvalidDataException($"more than {_limits.MaxMarks} nested MARKs (nesting bomb?); refused.");
        _marks.Push(_stack.Count);
    }

    /// <summary>Pops everything above the last MARK, and the MARK.</summary>
    private List<object> PopToMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("an opcode needs a MARK but none is open.");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private void Memoize(long index, object value)
    {
        if (index < 0) throw new InvalidDataException($"negative memo index {index}.");
        if (_memo.Count >= _limits.MaxMemoEntries && !_memo.ContainsKey(index))
            throw new InvalidDataException($"more than {_limits.MaxMemoEntries} memo entries; refused.");
        _memo[index] = value;
    }

    private object Recall(long index)
        => _memo.TryGetValue(index, out var v) ? v : throw new InvalidDataException($"memo entry {index} is read before it is written.");
}
