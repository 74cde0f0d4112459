using System.Runtime.InteropServices;
using Derain.Tensors.Kernels.Dnnl.Native;

namespace Derain.Tensors.Kernels.Dnnl;

/// <summary>
/// A ready-to-run sequence of oneDNN primitives for one operation and one shape: reorders of the caller's
/// plain row-major inputs into the layouts the main primitive chose, the primitive itself, and reorders of its
/// outputs back. Memory objects are created once without buffers; each call binds them to the caller's
/// buffers (by argument index) or to shared workspace slots, so a cached plan costs a few handle updates per
/// call. Run only under the backend's lock (<see cref="DnnlKernels"/>): the workspace is shared.
/// </summary>
internal sealed unsafe class DnnlPlan : IDisposable
{
    private readonly nint[] _memories;
    private readonly int[] _bindings; // ≥ 0: caller argument index; < 0: workspace slot ~binding
    private readonly nint[] _primitives;
    private readonly DnnlExecArg[][] _args;
    private readonly long[] _slotBytes;
    private bool _disposed;

    internal DnnlPlan(nint[] memories, int[] bindings, nint[] primitives, DnnlExecArg[][] args, long[] slotBytes, string implementation)
    {
        _memories = memories;
        _bindings = bindings;
        _primitives = primitives;
        _args = args;
        _slotBytes = slotBytes;
        Implementation = implementation;
    }

    /// <summary>oneDNN's name for the main primitive's implementation (e.g. "jit:avx512_core"); for diagnostics.</summary>
    public string Implementation { get; }

    /// <summary>Number of primitives (reorders included) this plan runs per call.</summary>
    public int PrimitiveCount => _primitives.Length;

    /// <summary>Binds buffers and runs every primitive in order, then waits for the stream.</summary>
    /// <param name="workspace">Shared buffers for blocked copies and scratchpad.</param>
    /// <param name="stream">The stream to run on.</param>
    /// <param name="user">Caller buffers by argument index (pinned for the duration of the call).</param>
    public void Execute(DnnlWorkspace workspace, nint stream, ReadOnlySpan<nint> user)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < _memories.Length; i++)
        {
            int b = _bindings[i];
            nint ptr = b >= 0 ? user[b] : workspace.Get(~b, _slotBytes[~b]);
            DnnlNative.MemorySetDataHandle(_memories[i], (void*)ptr, stream);
        }
        for (int i = 0; i < _primitives.Length; i++)
            DnnlNative.PrimitiveExecute(_primitives[i], stream, _args[i]);
        DnnlNative.StreamWait(stream);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _primitives) DnnlNative.PrimitiveDestroy(p);
        foreach (var m in _memories) DnnlNative.MemoryDestroy(m);
    }
}

/// <summary>
/// Builds a <see cref="DnnlPlan"/>: decides per argument whether the caller's plain buffer can be used
/// directly or needs a reorder through a workspace slot, and gives every primitive a user-managed scratchpad
/// (workspace slot 0, sized to the largest need).
/// </summary>
internal sealed unsafe class DnnlPlanBuilder : IDisposable
{
    private readonly nint _engine;
    private readonly nint _attr;
    private readonly Action _onPrimitiveCreated;
    private readonly List<nint> _memories = [];
    private readonly List<int> _bindings = [];
    private readonly List<(nint Primitive, DnnlExecArg[] Args)> _pre = [], _main = [], _post = [];
    private readonly List<long> _slotBytes = [0];
    private string _implementation = "";
    private bool _built;

    /// <param name="engine">The engine primitives and memory objects are created on.</param>
    /// <param name="attr">Primitive attributes (user scratchpad) shared by all primitives built here; not owned.</param>
    /// <param name="onPrimitiveCreated">Counts primitive creations (tests check that cached plans create none).</param>
    public DnnlPlanBuilder(nint engine, nint attr, Action onPrimitiveCreated)
    {
        _engine = engine;
        _attr = attr;
        _onPrimitiveCreated = onPrimitiveCreated;
    }

    /// <summary>A memory object bound to the caller's buffer number <paramref name="userIndex"/>.</summary>
    public int User(in DnnlMemoryDesc desc, int userIndex) => AddMemory(desc, userIndex);

    /// <summary>A memory object bound to a fresh workspace slot of the descriptor's size.</summary>
    public int Workspace(in DnnlMemoryDesc desc)
    {
        _slotBytes.Add(DnnlNative.MemoryDescSize(desc));
        return AddMemory(desc, ~(_slotBytes.Count - 1));
    }

    /// <summary>
    /// The memory the main primitive should read for caller input <paramref name="userIndex"/>: the caller's
    /// buffer when <paramref name="chosen"/> equals the plain layout, else a workspace copy reordered into it.
    /// </summary>
    public int Input(int userIndex, in DnnlMemoryDesc plain, in DnnlMemoryDesc chosen)
    {
        int user = User(plain, userIndex);
        if (DnnlNative.MemoryDescEqual(plain, chosen)) return user;
        int work = Workspace(chosen);
        _pre.Add(Reorder(user, plain, work, chosen));
        return work;
    }

    /// <summary>The memory the main primitive should write for caller output <paramref name="userIndex"/> (see <see cref="Input"/>).</summary>
    public int Output(int userIndex, in DnnlMemoryDesc plain, in DnnlMemoryDesc chosen)
    {
        int user = User(plain, userIndex);
        if (DnnlNative.MemoryDescEqual(plain, chosen)) return user;
        int work = Workspace(chosen);
        _post.Add(Reorder(work, chosen, user, plain));
        return work;
    }

    /// <summary>Creates the main primitive from <paramref name="primitiveDesc"/> (not owned) with (DNNL_ARG_*, memory) pairs.</summary>
    public void Main(nint primitiveDesc, params ReadOnlySpan<(int Arg, int Memory)> args)
    {
        _implementation = DnnlNative.PrimitiveDescImplInfo(primitiveDesc);
        _main.Add(CreatePrimitive(primitiveDesc, args));
    }

    /// <summary>
    /// A reorder between two memories of this plan as a main primitive: a layout conversion on its own, or one that runs
    /// in order between two other main primitives (a convolution chain). The plan's implementation name stays the first
    /// main primitive's.
    /// </summary>
    public void MainReorder(int from, in DnnlMemoryDesc fromDesc, int to, in DnnlMemoryDesc toDesc)
    {
        if (_implementation.Length == 0) _implementation = "reorder";
        _main.Add(Reorder(from, fromDesc, to, toDesc));
    }

    private (nint, DnnlExecArg[]) Reorder(int from, in DnnlMemoryDesc fromDesc, int to, in DnnlMemoryDesc toDesc)
    {
        nint pd = DnnlNative.ReorderPrimitiveDescCreate(fromDesc, toDesc, _engine, _attr);
        try
        {
            return CreatePrimitive(pd, [(DnnlConst.ArgFrom, from), (DnnlConst.ArgTo, to)]);
        }
        finally
        {
            DnnlNative.PrimitiveDescDestroy(pd);
        }
    }

    private (nint, DnnlExecArg[]) CreatePrimitive(nint pd, ReadOnlySpan<(int Arg, int Memory)> args)
    {
        var scratch = DnnlNative.PrimitiveDescQueryMd(pd, DnnlQuery.ScratchpadMd);
        long scratchBytes = DnnlNative.MemoryDescSize(scratch);
        var exec = new DnnlExecArg[args.Length + (scratchBytes > 0 ? 1 : 0)];
        for (int i = 0; i < args.Length; i++)
            exec[i] = new DnnlExecArg { Arg = args[i].Arg, Memory = _memories[args[i].Memory] };
        if (scratchBytes > 0)
        {
            // All primitives of all plans run one after another, so they share slot 0 as scratchpad.
            _slotBytes[0] = Math.Max(_slotBytes[0], scratchBytes);
            exec[^1] = new DnnlExecArg { Arg = DnnlConst.ArgScratchpad, Memory = _memories[AddMemory(scratch, ~0)] };
        }
        nint primitive = DnnlNative.PrimitiveCreate(pd);
        _onPrimitiveCreated();
        return (primitive, exec);
    }

    private int AddMemory(in DnnlMemoryDesc desc, int binding)
    {
        _memories.Add(DnnlNative.MemoryCreate(desc, _engine));
        _bindings.Add(binding);
        return _memories.Count - 1;
    }

    /// <summary>The plan; the builder's objects now belong to it.</summary>
    public DnnlPlan Build()
    {
        var steps = _pre.Concat(_main).Concat(_post).ToArray();
        _built = true;
        return new DnnlPlan([.. _memories], [.. _bindings], steps.Select(s => s.Primitive).ToArray(),
            steps.Select(s => s.Args).ToArray(), [.. _slotBytes], _implementation);
    }

    /// <summary>Releases what was created when building failed part-way.</summary>
    public void Dispose()
    {
        if (_built) return;
        _built = true;
        foreach (var (p, _) in _pre.Concat(_main).Concat(_post)) DnnlNative.PrimitiveDestroy(p);
        foreach (var m in _memories) DnnlNative.MemoryDestroy(m);
    }
}

/// <summary>
/// Grow-only, 64-byte-aligned native buffers shared by all plans (calls are serialised): blocked copies of
/// activations and weights, and the scratchpad. Sized by the largest layer seen, not the sum over layers.
/// </summary>
internal sealed unsafe class DnnlWorkspace : IDisposable
{
    private readonly List<(nint Ptr, long Bytes)> _slots = [];

    /// <summary>Total bytes held.</summary>
    public long Bytes => _slots.Sum(s => s.Bytes);

    /// <summary>Slot <paramref name="slot"/> with at least <paramref name="bytes"/> bytes (contents not preserved on growth).</summary>
    public nint Get(int slot, long bytes)
    {
        while (_slots.Count <= slot) _slots.Add((0, 0));
        var (ptr, have) = _slots[slot];
        if (have >= bytes && ptr != 0) return ptr;
        if (ptr != 0) NativeMemory.AlignedFree((void*)ptr);
        _slots[slot] = (0, 0);
        long size = Math.Max(bytes, 64);
        ptr = (nint)NativeMemory.AlignedAlloc((nuint)size, 64);
        _slots[slot] = (ptr, size);
        return ptr;
    }

    public void Dispose()
    {
        foreach (var (ptr, _) in _slots)
            if (ptr != 0) NativeMemory.AlignedFree((void*)ptr);
        _slots.Clear();
    }
}
