using System.Numerics;
using System.Text;

namespace Derain.NN.Checkpoints.PyTorch.Pickle;

internal sealed partial class Unpickler
{
    /// <summary>Executes one opcode (STOP is handled by the caller).</summary>
    private void Execute(PickleOpcode op)
    {
        switch (op)
        {
            // ---- framing
            case PickleOpcode.Proto:
                int version = _in.ReadUInt8();
                if (version > 5) throw new InvalidDataException($"pickle protocol {version} is newer than 5, the highest this reader knows.");
                break;
            case PickleOpcode.Frame:
                long frame = _in.ReadInt64();
                // Frames only group opcodes for buffering; the length must still fit the data.
                if (frame < 0 || frame > _in.Remaining) throw new InvalidDataException($"a FRAME declares {frame} bytes but only {_in.Remaining} remain.");
                break;

            // ---- stack and marks
            case PickleOpcode.Mark: PushMark(); break;
            case PickleOpcode.Pop:
                // pickle.py: POP drops the top value, or the MARK when nothing lies above it.
                if (_stack.Count > (_marks.Count > 0 ? _marks.Peek() : 0)) _stack.RemoveAt(_stack.Count - 1);
                else if (_marks.Count > 0) _marks.Pop();
                else throw new InvalidDataException("POP on an empty stack.");
                break;
            case PickleOpcode.PopMark: PopToMark(); break;
            case PickleOpcode.Dup: Push(Peek()); break;

            // ---- scalars
            case PickleOpcode.None: Push(PyNone.Instance); break;
            case PickleOpcode.NewTrue: Push(true); break;
            case PickleOpcode.NewFalse: Push(false); break;
            case PickleOpcode.BinInt: Push((long)_in.ReadInt32()); break;
            case PickleOpcode.BinInt1: Push((long)_in.ReadUInt8()); break;
            case PickleOpcode.BinInt2: Push((long)_in.ReadUInt16()); break;
            case PickleOpcode.Long1: Push(ReadLong(_in.ReadUInt8())); break;
            case PickleOpcode.Long4: Push(ReadLong(_in.ReadInt32())); break;
            case PickleOpcode.BinFloat: Push(_in.ReadDoubleBigEndian()); break;

            // ---- text and bytes
            case PickleOpcode.ShortBinUnicode: Push(Utf8(_in.ReadUInt8())); break;
            case PickleOpcode.BinUnicode: Push(Utf8(_in.ReadUInt32())); break;
            case PickleOpcode.BinUnicode8: Push(Utf8(_in.ReadInt64())); break;
            // Python 2 str: torch.load decodes it as text; latin-1 keeps every byte.
            case PickleOpcode.ShortBinString: Push(Encoding.Latin1.GetString(_in.ReadBytes(_in.ReadUInt8(), "string"))); break;
            case PickleOpcode.BinString: Push(Encoding.Latin1.GetString(_in.ReadBytes(_in.ReadInt32(), "string"))); break;
            case PickleOpcode.ShortBinBytes: Push(_in.ReadBytes(_in.ReadUInt8(), "bytes object")); break;
            case PickleOpcode.BinBytes: Push(_in.ReadBytes(_in.ReadUInt32(), "bytes object")); break;
            case PickleOpcode.BinBytes8:
            case PickleOpcode.ByteArray8: Push(_in.ReadBytes(_in.ReadInt64(), "bytes object")); break;

            // ---- containers
            case PickleOpcode.EmptyTuple: Push(PyTuple.Empty); break;
            case PickleOpcode.Tuple1: { var a = Pop(); Push(new PyTuple([a])); break; }
            case PickleOpcode.Tuple2: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; }
            case PickleOpcode.Tuple3: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; }
            case PickleOpcode.Tuple: Push(new PyTuple([.. PopToMark()])); break;
            case PickleOpcode.EmptyList: Push(new PyList()); break;
            case PickleOpcode.List: Push(new PyList(PopToMark())); break;
            case PickleOpcode.EmptyDict: Push(new PyDict()); break;
            case PickleOpcode.Dict: { var d = new PyDict(); SetPairs(d, PopToMark()); Push(d); break; }
            case PickleOpcode.EmptySet: Push(new PySet([])); break;
            case PickleOpcode.FrozenSet: Push(new PySet(PopToMark())); break;
            case PickleOpcode.Append: { var v = Pop(); ListOnTop().Add(v); break; }
            case PickleOpcode.Appends: { var items = PopToMark(); ListOnTop().AddRange(items); break; }
            case PickleOpcode.SetItem: { var v = Pop(); var k = Pop(); DictOnTop().Set(k, v); break; }
            case PickleOpcode.SetItems: { var items = PopToMark(); SetPairs(DictOnTop(), items); break; }
            case PickleOpcode.AddItems:
                {
                    var items = PopToMark();
                    if (Peek() is not PySet set) throw new InvalidDataException($"ADDITEMS on a {PyValues.TypeName(Peek())}, not a set.");
                    set.Items.AddRange(items);
                    break;
                }

            // ---- memo
            case PickleOpcode.BinPut: Memoize(_in.ReadUInt8(), Peek()); break;
            case PickleOpcode.LongBinPut: Memoize(_in.ReadUInt32(), Peek()); break;
            case PickleOpcode.Memoize: Memoize(_memo.Count, Peek()); break;
            case PickleOpcode.BinGet: Push(Recall(_in.ReadUInt8())); break;
            case PickleOpcode.LongBinGet: Push(Recall(_in.ReadUInt32())); break;

            // ---- globals, calls, objects: the security-relevant part (see PickleGlobals / PickleCallables)
            case PickleOpcode.Global:
                {
                    string module = _in.ReadLine();
                    string name = _in.ReadLine();
                    Push(PickleGlobals.Resolve(module, name));
                    break;
                }
            case PickleOpcode.StackGlobal:
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n)
                        throw new InvalidDataException("STACK_GLOBAL expects two strings.");
                    Push(PickleGlobals.Resolve(m, n));
                    break;
                }
            case PickleOpcode.Reduce:
                {
                    var args = Pop() as PyTuple ?? throw new InvalidDataException("REDUCE expects an argument tuple.");
                    var callable = Pop();
                    Push(PickleCallables.Call(callable, args));
                    break;
                }
            case PickleOpcode.NewObj:
                {
                    var args = Pop() as PyTuple ?? throw new InvalidDataException("NEWOBJ expects an argument tuple.");
                    var cls = Pop();
                    Push(PickleCallables.New(cls, args));
                    break;
                }
            case PickleOpcode.NewObjEx:
                {
                    var kwargs = Pop();
                    var args = Pop() as PyTuple ?? throw new InvalidDataException("NEWOBJ_EX expects an argument tuple.");
                    if (kwargs is not PyDict) throw new InvalidDataException("NEWOBJ_EX expects a keyword dict.");
                    var cls = Pop();
                    Push(PickleCallables.New(cls, args));
                    break;
                }
            case PickleOpcode.Build:
                {
                    var state = Pop();
                    PickleCallables.Build(Peek(), state);
                    break;
                }
            case PickleOpcode.BinPersId:
                Push(_persistentLoad(Pop()));
                break;

            default:
                throw new InvalidDataException($"opcode 0x{(byte)op:x2} ('{Printable((byte)op)}') is not supported (not written by torch.save, or not a pickle).");
        }
    }

    private List<object> ListOnTop()
        => Peek() is PyList l ? l.Items : throw new InvalidDataException($"APPEND on a {PyValues.TypeName(Peek())}, not a list.");

    private PyDict DictOnTop()
        => Peek() as PyDict ?? throw new InvalidDataException($"SETITEM on a {PyValues.TypeName(Peek())}, not a dict.");

    private static void SetPairs(PyDict dict, List<object> items)
    {
        if (items.Count % 2 != 0) throw new InvalidDataException("SETITEMS/DICT with an odd number of values.");
        for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private string Utf8(long length) => Encoding.UTF8.GetString(_in.ReadBytes(length, "string"));

    /// <summary>LONG1/LONG4: little-endian two's complement of the given byte count.</summary>
    private object ReadLong(long byteCount)
    {
        if (byteCount < 0 || byteCount > _limits.MaxLongBytes)
            throw new InvalidDataException($"an integer of {byteCount} bytes exceeds the {_limits.MaxLongBytes}-byte limit.");
        var value = new BigInteger(_in.ReadBytes(byteCount, "long integer"), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private static char Printable(byte b) => b is >= 0x20 and < 0x7f ? (char)b : '?';
}
