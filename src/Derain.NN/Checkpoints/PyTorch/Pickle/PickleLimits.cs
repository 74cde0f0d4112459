namespace Derain.NN.Checkpoints.PyTorch.Pickle;

/// <summary>
/// Caps that keep a hostile pickle from exhausting memory or time. The unpickler itself is iterative, so
/// nesting cannot overflow its call stack; these bound what it accumulates. CPython cannot even write nesting
/// deeper than its recursion limit (1000), so legitimate checkpoints stay far below every cap.
/// </summary>
internal sealed record PickleLimits
{
    public static readonly PickleLimits Default = new();

    /// <summary>Items on the value stack at once (CPython batches SETITEMS/APPENDS by 1000).</summary>
    public int MaxStackItems { get; init; } = 1 << 20;

    /// <summary>Open MARKs at once (each is one level of tuple/list/dict nesting under construction).</summary>
    public int MaxMarks { get; init; } = 1000;

    /// <summary>Memo entries.</summary>
    public int MaxMemoEntries { get; init; } = 1 << 22;

    /// <summary>Bytes of one arbitrary-precision int (LONG1/LONG4).</summary>
    public int MaxLongBytes { get; init; } = 8192;
}
