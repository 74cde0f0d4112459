using Derain.NN.Losses;
using Derain.Tensors;

namespace Derain.Models.Mgid;

/// <summary>
/// MGID's memory module (official <c>model/Memory.py</c>, class <c>Memory</c>), on queries laid out as rows
/// [N, d] with N = B·h·w pixels taken over the whole batch (the official code flattens b × h × w the same way).
/// The query rows are L2-normalised; the keys (memory items, [M, d]) never carry a gradient.
/// <list type="bullet">
/// <item>Score S = q·Kᵀ [N, M]; the "memory" softmax is over items (dim 1), the "query" softmax over pixels (dim 0).
/// There is no temperature (temp_update / temp_gather are stored by the official constructor but never used).</item>
/// <item><see cref="Read"/>: cat(q, softmax_items(S).detach()·K) — 2d channels; the read half carries no gradient.</item>
/// <item><see cref="GatheringLoss"/>: MSE between q and its top-1 item (torch.nn.MSELoss, mean over N·d).</item>
/// <item><see cref="SpreadingLoss"/>: TripletMarginLoss(margin 1) with the top-1 item as positive and the second as
/// negative. Computed by the official training branch and then discarded by convAE; reported for logging only.</item>
/// <item><see cref="Update"/>: for each item i, U_i = pixels whose top-1 item is i;
/// m_i ← normalize(m_i + Σ_{p∈U_i} (v_{p,i} / max_p v_{p,i}) · q_p) with v = softmax over pixels, the max taken over
/// ALL pixels (not only U_i); items no pixel chose keep their direction. The result is detached.</item>
/// </list>
/// </summary>
public static class MgidMemory
{
    /// <summary>F.normalize's eps: x / max(‖x‖₂, eps).</summary>
    public const double NormalizeEps = 1e-12;

    /// <summary>torch.nn.TripletMarginLoss's defaults: margin 1, p = 2, and pairwise_distance's eps 1e-6 added to the difference.</summary>
    private const double TripletMargin = 1.0, PairwiseEps = 1e-6;

    /// <summary>F.normalize(x, dim): divides by the L2 norm along <paramref name="dim"/>, clamped below at 1e-12.</summary>
    public static Tensor Normalize(Tensor x, int dim)
    {
        var norm = Ops.Clamp(Ops.Sqrt(Ops.Sum(Ops.Square(x), dim, keepDim: true)), NormalizeEps, null);
        return Ops.Div(x, norm);
    }

    /// <summary>S = q·Kᵀ, [N, M].</summary>
    public static Tensor Scores(Tensor queryRows, Tensor keys) => Ops.MatMul(queryRows, Ops.Transpose(keys, 0, 1));

    /// <summary>The memory read: cat(q, softmax over items of S, detached, times K), [N, 2d].</summary>
    public static Tensor Read(Tensor queryRows, Tensor keys, Tensor scores)
    {
        var weights = Ops.Softmax(scores, 1).Detach();
        var read = Ops.MatMul(weights, keys);
        return Ops.Concat([queryRows, read], 1);
    }

    /// <summary>torch.nn.MSELoss()(q, K[argmax_i S]) — the "compactness" loss Train.py weights by 0.01.</summary>
    public static Tensor GatheringLoss(Tensor queryRows, Tensor keys, Tensor scores)
    {
        var nearest = Ops.IndexSelect(keys, 0, Ops.Argmax(scores, 1));
        return Loss.Mse(queryRows, nearest);
    }

    /// <summary>
    /// TripletMarginLoss(margin 1)(q, K[top1], K[top2]): mean over pixels of max(‖q − k₁ + ε‖ − ‖q − k₂ + ε‖ + 1, 0),
    /// ε = 1e-6. A value only: the official convAE discards it.
    /// </summary>
    public static double SpreadingLoss(Tensor queryRows, Tensor keys)
    {
        int n = queryRows.Size(0), d = queryRows.Size(1), m = keys.Size(0);
        if (m < 2) return double.NaN;
        var q = queryRows.ToDoubleArray();
        var k = keys.ToDoubleArray();
        double total = 0;
        for (int p = 0; p < n; p++)
        {
            var row = q.AsSpan(p * d, d);
            int first = -1, second = -1;
            double best = double.NegativeInfinity, next = double.NegativeInfinity;
            for (int i = 0; i < m; i++)
            {
                double s = Dot(row, k.AsSpan(i * d, d));
                if (s > best) { second = first; next = best; first = i; best = s; }
                else if (s > next) { second = i; next = s; }
            }
            double dp = Distance(row, k.AsSpan(first * d, d)), dn = Distance(row, k.AsSpan(second * d, d));
            total += Math.Max(dp - dn + TripletMargin, 0);
        }
        return total / n;
    }

    /// <summary>The training-mode memory update (official <c>Memory.update</c> with <c>get_update_query</c>); returns new keys [M, d], no gradient.</summary>
    public static Tensor Update(Tensor queryRows, Tensor keys)
    {
        int n = queryRows.Size(0), d = queryRows.Size(1), m = keys.Size(0);
        var q = queryRows.ToDoubleArray();
        var k = keys.ToDoubleArray();
        var scores = new double[n * m];
        var top = new int[n];
        var columnMax = new double[m];
        Array.Fill(columnMax, double.NegativeInfinity);
        for (int p = 0; p < n; p++)
        {
            var row = q.AsSpan(p * d, d);
            double best = double.NegativeInfinity;
            for (int i = 0; i < m; i++)
            {
                double s = Dot(row, k.AsSpan(i * d, d));
                scores[p * m + i] = s;
                if (s > best) { best = s; top[p] = i; }
                if (s > columnMax[i]) columnMax[i] = s;
            }
        }
        // v_{p,i} / max_p v_{p,i} with v = softmax over pixels is exp(S_{p,i} − max_p S_{p,i}): the normaliser cancels.
        var update = new double[m * d];
        for (int p = 0; p < n; p++)
        {
            int i = top[p];
            double weight = Math.Exp(scores[p * m + i] - columnMax[i]);
            for (int c = 0; c < d; c++) update[i * d + c] += weight * q[p * d + c];
        }
        var result = new float[m * d];
        for (int i = 0; i < m; i++)
        {
            double norm = 0;
            for (int c = 0; c < d; c++)
            {
                double v = update[i * d + c] + k[i * d + c];
                update[i * d + c] = v;
                norm += v * v;
            }
            norm = Math.Max(Math.Sqrt(norm), NormalizeEps);
            for (int c = 0; c < d; c++) result[i * d + c] = (float)(update[i * d + c] / norm);
        }
        return Tensor.FromArray(result, m, d);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = a[i] - b[i] + PairwiseEps;
            s += diff * diff;
        }
        return Math.Sqrt(s);
    }
}
