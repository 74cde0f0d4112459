namespace Derain.Tensors.Kernels.Managed;

/// <summary>
/// How the managed deformable convolution walks one geometry. Columns are stored pixel-major and
/// channels-last: row p of the column matrix holds, for each convolution group, K blocks (one per kernel
/// point) of that group's input channels, so the sampler writes contiguous channel runs and each group's
/// block is a dense [P, K·InPerGroup] operand of the GEMM (with the weight reordered to [Cout, K, InPerGroup]).
/// A segment is a run of channels sharing both a deform group (one offset/mask field) and a convolution group
/// (one column block).
/// </summary>
internal sealed class DeformPlan
{
    /// <summary>A run of channels [Channel, Channel + Length) in one deform group and one convolution group.</summary>
    public readonly record struct Segment(int DeformGroup, int Channel, int Length, int ColumnBase);

    /// <summary>Elements of the column matrix kept at once (bounds memory for large images).</summary>
    private const int DefaultColumnBudget = 1 << 20;

    /// <summary>Overrides the column budget on this thread (tests use it to force many chunks).</summary>
    [ThreadStatic] internal static int? ColumnBudgetOverride;

    public DeformPlan(DeformConvGeometry g, int threads)
    {
        Geometry = g;
        ColumnWidth = g.InChannels * g.KernelPoints;
        ChunkRows = Math.Clamp((ColumnBudgetOverride ?? DefaultColumnBudget) / Math.Max(1, g.OutW * ColumnWidth), 1, g.OutH);
        int perDeform = g.InPerDeformGroup, perGroup = g.InPerGroup, k = g.KernelPoints;
        ByDeformGroup = new Segment[g.DeformGroups][];
        var all = new List<Segment>();
        for (int d = 0; d < g.DeformGroups; d++)
        {
            var segs = new List<Segment>();
            for (int c = d * perDeform, end = c + perDeform; c < end;)
            {
                int grp = c / perGroup;
                int len = Math.Min(end, (grp + 1) * perGroup) - c;
                segs.Add(new Segment(d, c, len, grp * k * perGroup + (c - grp * perGroup)));
                c += len;
            }
            ByDeformGroup[d] = [.. segs];
            all.AddRange(segs);
        }
        // The input-gradient scatter runs one task per channel run (tasks never share channels, so no locks);
        // split runs until there are a few tasks per thread, keeping runs at least a vector long.
        int want = 4 * threads;
        var items = new List<Segment>();
        foreach (var s in all)
        {
            int pieces = Math.Clamp((want + all.Count - 1) / all.Count, 1, Math.Max(1, s.Length / 16));
            int step = (s.Length + pieces - 1) / pieces;
            step = Math.Min(s.Length, (step + 7) / 8 * 8);
            for (int c = 0; c < s.Length; c += step)
                items.Add(s with { Channel = s.Channel + c, Length = Math.Min(step, s.Length - c), ColumnBase = s.ColumnBase + c });
        }
        ScatterItems = [.. items];
    }

    public DeformConvGeometry Geometry { get; }

    /// <summary>Columns per pixel row of the column matrix (InChannels·K).</summary>
    public int ColumnWidth { get; }

    /// <summary>Output rows processed per column chunk.</summary>
    public int ChunkRows { get; }

    /// <summary>The segments of each deform group.</summary>
    public Segment[][] ByDeformGroup { get; }

    /// <summary>Disjoint channel runs covering all channels, for the parallel input-gradient scatter.</summary>
    public Segment[] ScatterItems { get; }
}
