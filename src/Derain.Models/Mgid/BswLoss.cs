using Derain.Tensors;

namespace Derain.Models.Mgid;

/// <summary>One <see cref="BswLoss"/> evaluation.</summary>
/// <param name="Loss">The differentiable scalar (gradients reach both queries through the two covariances).</param>
/// <param name="Mask">[B, C, C], 1 where a covariance element is whitened: upper triangle (diagonal included) of the
/// lowest-variance cluster; a constant (no gradient), in the queries' dtype.</param>
/// <param name="MaskCount">Elements of <paramref name="Mask"/> set, over the whole batch.</param>
/// <param name="InsensitiveCount">Size of the lowest-variance k-means cluster, over the whole batch (both triangles).</param>
public sealed record BswResult(Tensor Loss, Tensor Mask, int MaskCount, int InsensitiveCount);

/// <summary>
/// MGID's background selective whitening (BSW) loss, <c>ISWloss(query1, query2)</c> of the official
/// <c>model/ISW_loss.py</c> (after RobustNet's instance selective whitening, Choi et al., CVPR 2021), applied to the
/// instance-normed queries of the two rainy frames of one scene (before the memory's L2 normalisation, see
/// <c>MgidLoss</c>):
/// <list type="number">
/// <item>Σₖ = qₖ qₖᵀ / (HW − 1) + 1e-5·I per sample, qₖ the query [B, C, HW] of frame k (the queries are zero-mean per
/// channel after instance norm, so this is their channel covariance).</item>
/// <item>The element-wise variance of the two frames' covariances, V = ½[(Σ₁ − μ)² + (Σ₂ − μ)²], μ = ½(Σ₁ + Σ₂):
/// small where a channel correlation is the same in both frames (the static background), large where it changes
/// with the rain.</item>
/// <item>1-D k-means with 50 clusters on V flattened over the whole batch (<see cref="KMeans1D"/>, exact like the
/// official <c>kmeans1d.cluster</c>); every element outside the lowest-variance cluster is "sensitive" (the
/// official code selects the sensitive ones as the top-k of V with k = n − |cluster 0|).</item>
/// <item>The mask keeps the non-sensitive elements of the upper triangle, diagonal included; its count N is taken
/// over the whole batch.</item>
/// <item>loss = (Σ_b Σ|Σ₁,b ⊙ mask_b| + Σ_b Σ|Σ₂,b ⊙ mask_b|) / N / B (the official per-sample sums ÷ N, clamped at
/// 0 — a no-op on sums of absolute values — summed over the batch and divided by B).</item>
/// </list>
/// The mask is not differentiated (it comes from top-k indices in the official code). If it is empty — impossible
/// for exactly symmetric covariances, whose lowest cluster always has an element on or above the diagonal — the
/// official division by zero would give NaN; here the loss is then 0.
/// </summary>
public static class BswLoss
{
    /// <summary>k-means clusters of the covariance variance (ISWloss's <c>numclusters=50</c>).</summary>
    public const int Clusters = 50;

    /// <summary>Added to the covariance diagonal (ISW_loss.py's <c>eps</c>).</summary>
    public const double Epsilon = 1e-5;

    /// <summary>The loss of two frames' queries [B, C, H, W] (same shape, H·W ≥ 2).</summary>
    public static BswResult Compute(Tensor query1, Tensor query2, int clusters = Clusters)
    {
        var cov1 = Covariance(query1);
        var cov2 = Covariance(query2);
        var (mask, count, insensitive) = SelectMask(cov1, cov2, clusters);
        return new BswResult(Whitening(cov1, cov2, mask, count), mask, count, insensitive);
    }

    /// <summary>The loss with a given 0/1 <paramref name="mask"/> [B, C, C] (gradient checks hold the mask fixed).</summary>
    public static Tensor ComputeWithMask(Tensor query1, Tensor query2, Tensor mask)
    {
        int count = 0;
        foreach (double v in mask.ToDoubleArray()) if (v != 0) count++;
        return Whitening(Covariance(query1), Covariance(query2), mask, count);
    }

    /// <summary>get_covariance_matrix: q qᵀ / (HW − 1) + 1e-5·I for q [B, C, H, W] → [B, C, C].</summary>
    public static Tensor Covariance(Tensor query)
    {
        if (query.Rank != 4) throw new ArgumentException($"BswLoss: queries must be [B, C, H, W]; got {query.Shape}.", nameof(query));
        int b = query.Size(0), c = query.Size(1), hw = query.Size(2) * query.Size(3);
        if (hw < 2) throw new ArgumentException($"BswLoss: a covariance needs at least 2 positions; got {query.Shape}.", nameof(query));
        var flat = Ops.Reshape(query, b, c, hw);
        var gram = Ops.Bmm(flat, Ops.Transpose(flat, 1, 2));
        using var eye = Eye(c, query.DType);
        return Ops.Add(Ops.Mul(gram, 1.0 / (hw - 1)), eye);
    }

    /// <summary>
    /// The whitening mask of two covariances [B, C, C]: the upper-triangular (diagonal included) elements of the
    /// lowest cluster of the 1-D k-means on their element-wise variance. Returns the mask, its count and the size of
    /// the lowest cluster.
    /// </summary>
    public static (Tensor Mask, int Count, int InsensitiveCount) SelectMask(Tensor cov1, Tensor cov2, int clusters = Clusters)
    {
        if (cov1.Shape != cov2.Shape || cov1.Rank != 3 || cov1.Size(1) != cov1.Size(2))
            throw new ArgumentException($"BswLoss: covariances must both be [B, C, C]; got {cov1.Shape} and {cov2.Shape}.");
        int b = cov1.Size(0), c = cov1.Size(1), n = b * c * c;
        var variance = Variance(cov1, cov2);
        // Sort once: cluster 0 is the first |cluster 0| values in ascending order (the official mask is the complement
        // of the top n − |cluster 0| values, the same set).
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var sorted = (double[])variance.Clone();
        Array.Sort(sorted, order);
        int insensitive = KMeans1D.ClusterSizesOfSorted(sorted, clusters)[0];

        var mask = new double[n];
        int count = 0;
        for (int s = 0; s < insensitive; s++)
        {
            int flatIndex = order[s];
            int within = flatIndex % (c * c);
            if (within % c >= within / c)
            {
                mask[flatIndex] = 1;
                count++;
            }
        }
        var maskTensor = Tensor.FromArray(mask, b, c, c);
        if (cov1.DType == DType.Float64) return (maskTensor, count, insensitive);
        using (maskTensor) return (maskTensor.To(cov1.DType), count, insensitive);
    }

    /// <summary>
    /// ½[(Σ₁ − μ)² + (Σ₂ − μ)²], μ = ½(Σ₁ + Σ₂), in the covariances' own precision (float32 for training, as the
    /// official code computes it), widened to float64 for the k-means.
    /// </summary>
    private static double[] Variance(Tensor cov1, Tensor cov2)
    {
        int n = cov1.NumElements;
        var result = new double[n];
        if (cov1.DType == DType.Float32)
        {
            var a = cov1.Span<float>();
            var b = cov2.Span<float>();
            for (int i = 0; i < n; i++)
            {
                float mean = 0.5f * (a[i] + b[i]);
                float da = a[i] - mean, db = b[i] - mean;
                result[i] = 0.5f * (da * da + db * db);
            }
        }
        else
        {
            var a = cov1.Span<double>();
            var b = cov2.Span<double>();
            for (int i = 0; i < n; i++)
            {
                double mean = 0.5 * (a[i] + b[i]);
                double da = a[i] - mean, db = b[i] - mean;
                result[i] = 0.5 * (da * da + db * db);
            }
        }
        foreach (double v in result)
            if (!double.IsFinite(v)) throw new ArithmeticException("BswLoss: the query covariances are not finite (training diverged).");
        return result;
    }

    private static Tensor Whitening(Tensor cov1, Tensor cov2, Tensor mask, int count)
    {
        int batch = cov1.Size(0);
        if (count == 0)
        {
            // Keeps the result connected to the graph with a zero gradient instead of the official 0/0.
            return Ops.Mul(Ops.Sum(cov1) + Ops.Sum(cov2), 0.0);
        }
        var sum = Ops.Sum(Ops.Abs(cov1 * mask)) + Ops.Sum(Ops.Abs(cov2 * mask));
        return Ops.Mul(sum, 1.0 / ((double)count * batch));
    }

    private static Tensor Eye(int c, DType dtype)
    {
        var data = new double[c * c];
        for (int i = 0; i < c; i++) data[i * c + i] = Epsilon;
        var eye = Tensor.FromArray(data, c, c);
        if (dtype == DType.Float64) return eye;
        using (eye) return eye.To(dtype);
    }
}
