namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// Pickle opcodes (the values of CPython's Lib/pickle.py / pickletools) that checkpoints use: the binary ones
/// of protocols 2–5. The text-mode opcodes of protocols 0–1 (INT, STRING, PUT, GET, INST, OBJ, …) are not
/// listed: torch.save never writes them, and INST/OBJ call classes.
/// </summary>
internal enum PickleOpcode : byte
{
    Mark = (byte)'(',
    Stop = (byte)'.',
    Pop = (byte)'0',
    PopMark = (byte)'1',
    Dup = (byte)'2',
    BinFloat = (byte)'G',
    BinInt = (byte)'J',
    BinInt1 = (byte)'K',
    BinInt2 = (byte)'M',
    None = (byte)'N',
    BinPersId = (byte)'Q',
    Reduce = (byte)'R',
    BinString = (byte)'T',
    ShortBinString = (byte)'U',
    BinUnicode = (byte)'X',
    Append = (byte)'a',
    Build = (byte)'b',
    Dict = (byte)'d',
    EmptyDict = (byte)'}',
    Appends = (byte)'e',
    BinGet = (byte)'h',
    LongBinGet = (byte)'j',
    List = (byte)'l',
    EmptyList = (byte)']',
    BinPut = (byte)'q',
    LongBinPut = (byte)'r',
    SetItem = (byte)'s',
    Tuple = (byte)'t',
    EmptyTuple = (byte)')',
    SetItems = (byte)'u',
    Global = (byte)'c',

    // Protocol 2
    Proto = 0x80,
    NewObj = 0x81,
    Tuple1 = 0x85,
    Tuple2 = 0x86,
    Tuple3 = 0x87,
    NewTrue = 0x88,
    NewFalse = 0x89,
    Long1 = 0x8a,
    Long4 = 0x8b,

    // Protocol 3
    BinBytes = (byte)'B',
    ShortBinBytes = (byte)'C',

    // Protocol 4
    ShortBinUnicode = 0x8c,
    BinUnicode8 = 0x8d,
    BinBytes8 = 0x8e,
    EmptySet = 0x8f,
    AddItems = 0x90,
    FrozenSet = 0x91,
    NewObjEx = 0x92,
    StackGlobal = 0x93,
    Memoize = 0x94,
    Frame = 0x95,

    // Protocol 5
    ByteArray8 = 0x96,
}
