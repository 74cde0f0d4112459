namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// The memory layout of a reduction over any set of dimensions, without permuting the input. Adjacent
/// dimensions that are both reduced or both kept are merged and size-1 dimensions dropped, leaving
/// alternating groups. Two cases follow from the innermost group:
/// <list type="bullet">
/// <item>reduced (<see cref="InnerReduced"/>): every output owns a set of contiguous runs of <see cref="Run"/>
/// elements, one per entry of <see cref="Offsets"/> from the output's base offset;</item>
/// <item>kept: every output row of <see cref="Run"/> consecutive outputs is the element-wise reduction of input
/// rows at <see cref="Offsets"/> from the row's base offset.</item>
/// </list>
/// Either way the inner loop runs over contiguous memory and vectorises.
/// </summary>
internal sealed class ReducePlan
{
    private readonly int[] _baseSizes;
    private readonly int[] _baseStrides;

    /// <summary>Number of output elements.</summary>
    public int Outputs { get; }

    /// <summary>Input elements reduced into each output.</summary>
    public int Count { get; }

    /// <summary>True when the innermost (merged) dimension is reduced.</summary>
    public bool InnerReduced { get; }

    /// <summary>Length of the innermost merged dimension.</summary>
    public int Run { get; }

    /// <summary>Offsets of the runs (or rows) that belong to one output (or output row), relative to its base.</summary>
    public int[] Offsets { get; }

    /// <summary>Output rows in the kept-inner case (Outputs / Run); Outputs otherwise.</summary>
    public int Bases { get; }

    private ReducePlan(int outputs, int count, bool innerReduced, int run, int[] offsets, int[] baseSizes, int[] baseStrides)
    {
        Outputs = outputs;
        Count = count;
        InnerReduced = innerReduced;
        Run = run;
        Offsets = offsets;
        _baseSizes = baseSizes;
        _baseStrides = baseStrides;
        Bases = innerReduced ? outputs : (run == 0 ? 0 : outputs / run);
    }

    /// <summary>Plans the reduction of <paramref name="dims"/> (mask[i] = dimension i is reduced) of a contiguous tensor.</summary>
    public static ReducePlan Create(ReadOnlySpan<int> dims, ReadOnlySpan<bool> mask)
    {
        var sizes = new List<int>();
        var reduced = new List<bool>();
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 1) continue;
            if (reduced.Count > 0 && reduced[^1] == mask[i]) sizes[^1] *= dims[i];
            else { sizes.Add(dims[i]); reduced.Add(mask[i]); }
        }
        if (sizes.Count == 0) return new ReducePlan(1, 1, true, 1, [0], [], []);

        int g = sizes.Count;
        var strides = new int[g];
        for (int i = g - 1, acc = 1; i >= 0; acc *= sizes[i], i--) strides[i] = acc;
        bool innerReduced = reduced[g - 1];
        int run = sizes[g - 1];

        // Output bases iterate the kept groups (minus the inner one when it is kept); offsets iterate the
        // reduced groups (minus the inner one when it is reduced: that one is the contiguous run).
        var baseSizes = new List<int>();
        var baseStrides = new List<int>();
        var offSizes = new List<int>();
        var offStrides = new List<int>();
        int outputs = 1, count = 1;
        for (int i = 0; i < g; i++)
        {
            if (reduced[i]) count *= sizes[i]; else outputs *= sizes[i];
            if (i == g - 1) break;
            if (reduced[i]) { offSizes.Add(sizes[i]); offStrides.Add(strides[i]); }
            else { baseSizes.Add(sizes[i]); baseStrides.Add(strides[i]); }
        }
        var offsets = Enumerate(offSizes, offStrides);
        return new ReducePlan(outputs, count, innerReduced, run, offsets, [.. baseSizes], [.. baseStrides]);
    }

    /// <summary>The input offset of output <paramref name="index"/> (reduced-inner) or output row <paramref name="index"/> (kept-inner).</summary>
    public int BaseOffset(int index)
    {
        int off = 0;
        for (int i = _baseSizes.Length - 1; i >= 0; i--)
        {
            int s = _baseSizes[i];
            off += index % s * _baseStrides[i];
            index /= s;
        }
        return off;
    }

    private static int[] Enumerate(List<int> sizes, List<int> strides)
    {
        long total = 1;
        foreach (int s in sizes) total *= s;
        var result = new int[total];
        var idx = new int[sizes.Count];
        int off = 0;
        for (long k = 0; k < total; k++)
        {
            result[k] = off;
            for (int d = sizes.Count - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < sizes[d]) break;
                off -= strides[d] * sizes[d];
                idx[d] = 0;
            }
        }
        return result;
    }
}
