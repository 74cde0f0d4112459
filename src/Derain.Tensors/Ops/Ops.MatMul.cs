using Derain.Tensors.Autograd;
using Derain.Tensors.Kernels;

namespace Derain.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.matmul: matrix products over the last two dimensions with NumPy broadcasting of the leading
    /// (batch) dimensions, ranks 1 to 5. A 1-D first argument acts as a row [1, k] and a 1-D second argument as
    /// a column [k, 1]; the added dimension is removed from the result (1-D · 1-D gives a 0-D dot product).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = "MatMul";
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        CheckSameDType(op, a, b);
        if (a.Rank == 0 || b.Rank == 0)
            throw ShapeError(op, $"both arguments need at least one dimension; got {a.Shape} and {b.Shape}.");
        // Vectors are viewed as matrices (same memory layout); only the result's shape drops the added dimension.
        var aShape = a.Rank == 1 ? new Shape(1, a.Shape[0]) : a.Shape;
        var bShape = b.Rank == 1 ? new Shape(b.Shape[0], 1) : b.Shape;
        var product = ProductShape(op, aShape, false, bShape, false);
        var dims = product.ToArray().ToList();
        if (b.Rank == 1) dims.RemoveAt(dims.Count - 1);
        if (a.Rank == 1) dims.RemoveAt(dims.Count - (b.Rank == 1 ? 1 : 2));
        var y = Tensor.Empty(new Shape([.. dims]), a.DType);
        BatchedProduct(a, aShape, false, b, bShape, false, y);
        return RecordMatMul(op, y, a, aShape, b, bShape);
    }

    /// <summary>torch.bmm: a [B, m, k] · b [B, k, n] → [B, m, n], without broadcasting.</summary>
    public static Tensor Bmm(Tensor a, Tensor b)
    {
        const string op = "Bmm";
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        CheckSameDType(op, a, b);
        if (a.Rank != 3 || b.Rank != 3 || a.Shape[0] != b.Shape[0] || a.Shape[2] != b.Shape[1])
            throw ShapeError(op, $"expects [B, m, k] and [B, k, n] with the same B and k; got {a.Shape} and {b.Shape}.");
        var y = Tensor.Empty(new Shape(a.Shape[0], a.Shape[1], b.Shape[2]), a.DType);
        BatchedProduct(a, a.Shape, false, b, b.Shape, false, y);
        return RecordMatMul(op, y, a, a.Shape, b, b.Shape);
    }

    private static Tensor RecordMatMul(string op, Tensor y, Tensor a, Shape aShape, Tensor b, Shape bShape)
    {
        if (!GradNode.WillRecord(a, b)) return y;
        var node = new MatMulBackward(op, aShape, bShape);
        node.Setup(a, b);
        return GradNode.Record(y, node, a, b);
    }

    /// <summary>The shape of op(a)·op(b): broadcast batch dimensions, then [m, n]; op transposes the last two dimensions.</summary>
    private static Shape ProductShape(string op, Shape a, bool transA, Shape b, bool transB)
    {
        int m = a[transA ? -1 : -2], ka = a[transA ? -2 : -1];
        int kb = b[transB ? -1 : -2], n = b[transB ? -2 : -1];
        if (ka != kb)
            throw ShapeError(op, $"shapes {a} and {b} cannot be multiplied: inner dimensions {ka} and {kb} differ.");
        var batch = BroadcastShape(op, BatchOf(a), BatchOf(b));
        return new Shape([.. batch.ToArray(), m, n]);
    }

    private static Shape BatchOf(Shape s) => new(s.ToArray()[..^2]);

    /// <summary>
    /// y = op(a)·op(b) for matrices viewed with shapes <paramref name="aShape"/> and <paramref name="bShape"/>
    /// (rank ≥ 2, same layout as the tensors), broadcasting batch dimensions; y holds the product's elements.
    /// </summary>
    private static void BatchedProduct(Tensor a, Shape aShape, bool transA, Tensor b, Shape bShape, bool transB, Tensor y)
    {
        int m = aShape[transA ? -1 : -2], k = aShape[transA ? -2 : -1], n = bShape[transB ? -2 : -1];
        var aBatch = BatchOf(aShape);
        var bBatch = BatchOf(bShape);
        var batch = BroadcastShape("MatMul", aBatch, bBatch);
        int count = batch.NumElements;
        if (y.NumElements == 0) return;
        if (k == 0)
        {
            y.ClearData();
            return;
        }
        // One matrix on the right and a full batch on the left: the batch is just more rows of one GEMM.
        if (!transA && bBatch.NumElements == 1 && aBatch.NumElements == count)
        {
            RunGemm(false, transB, count * m, n, k, a, k, b, transB ? k : n, 0, y, n);
            return;
        }
        // Batch strides in elements (0 where an operand is broadcast), with dimensions merged wherever all three
        // operands continue contiguously, so typical cases become a single BatchedGemm call.
        var sa = BroadcastStrides(aBatch, batch);
        var sb = BroadcastStrides(bBatch, batch);
        var sy = batch.Strides();
        var dims = new List<(int Size, int A, int B, int Y)>();
        for (int d = 0; d < batch.Rank; d++)
        {
            if (batch[d] == 1) continue;
            var cur = (batch[d], sa[d] * m * k, sb[d] * k * n, sy[d] * m * n);
            if (dims.Count > 0)
            {
                var prev = dims[^1];
                if (prev.A == cur.Item2 * cur.Item1 && prev.B == cur.Item3 * cur.Item1 && prev.Y == cur.Item4 * cur.Item1)
                {
                    dims[^1] = (prev.Size * cur.Item1, cur.Item2, cur.Item3, cur.Item4);
                    continue;
                }
            }
            dims.Add(cur);
        }
        if (dims.Count == 0) dims.Add((1, 0, 0, m * n));
        var inner = dims[^1];
        int outer = count / inner.Size;
        var idx = new int[dims.Count];
        int offA = 0, offB = 0, offY = 0;
        for (int o = 0; o < outer; o++)
        {
            RunBatchedGemm(inner.Size, transA, transB, m, n, k, a, offA, inner.A, b, offB, inner.B, y, offY);
            for (int d = dims.Count - 2; d >= 0; d--)
            {
                idx[d]++;
                offA += dims[d].A; offB += dims[d].B; offY += dims[d].Y;
                if (idx[d] < dims[d].Size) break;
                offA -= dims[d].A * dims[d].Size; offB -= dims[d].B * dims[d].Size; offY -= dims[d].Y * dims[d].Size;
                idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// For y = a·b (batched, broadcast): da = Σ_broadcast dy·bᵀ and db = Σ_broadcast aᵀ·dy, each reduced to its
    /// input's shape.
    /// </summary>
    private sealed class MatMulBackward(string op, Shape aShape, Shape bShape) : GradNode
    {
        private Tensor? _a, _b;

        public override string Name => op + "Backward";

        public void Setup(Tensor a, Tensor b)
        {
            if (b.RequiresGrad) _a = Save(a);
            if (a.RequiresGrad) _b = Save(b);
        }

        protected internal override Tensor?[] Backward(Tensor gy)
        {
            var gShape = ProductShape(op, aShape, false, bShape, false);
            Tensor? da = null, db = null;
            if (NeedsGrad(0)) da = Reduced(op, gy, gShape, false, _b!, bShape, true, aShape, Inputs[0]!.Shape);
            if (NeedsGrad(1))
            {
                var aBatch = BatchOf(aShape);
                int count = BatchOf(gShape).NumElements;
                if (BatchOf(bShape).NumElements == 1 && aBatch.NumElements == count)
                {
                    // b was shared by the whole batch: Σ_i a_iᵀ·dy_i is one GEMM over all batch rows.
                    int rows = count * aShape[-2], k = aShape[-1], n = bShape[-1];
                    db = Tensor.Empty(Inputs[1]!.Shape, gy.DType);
                    RunGemm(true, false, k, n, rows, _a!, k, gy, n, 0, db, n);
                }
                else
                {
                    db = Reduced(op, _a!, aShape, true, gy, gShape, false, bShape, Inputs[1]!.Shape);
                }
            }
            return [da, db];
        }

        /// <summary>op(x)·op(z) over the full batch, summed down to <paramref name="target"/> and given the input's own shape.</summary>
        private static Tensor Reduced(string op, Tensor x, Shape xShape, bool tx, Tensor z, Shape zShape, bool tz, Shape target, Shape inputShape)
        {
            using var full = Tensor.Empty(ProductShape(op, xShape, tx, zShape, tz), x.DType);
            BatchedProduct(x, xShape, tx, z, zShape, tz, full);
            using var summed = SumToShape(full, target);
            return Reshape(summed, inputShape.ToArray());
        }
    }

    // ------------------------------------------------------------------ typed GEMM calls (shared with Linear)

    /// <summary>c = op(a)·op(b) + beta·c on whole tensors (dense, row-major; lda/ldb/ldc are the stored row lengths).</summary>
    private static void RunGemm(bool transA, bool transB, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb, double beta, Tensor c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (beta == 0) c.ClearData();
            return;
        }
        var kernels = KernelBackend.For(c.DType);
        if (c.DType == DType.Float32)
            kernels.Gemm(transA, transB, m, n, k, 1f, a.Span<float>(), lda, b.Span<float>(), ldb, (float)beta, c.Span<float>(), ldc);
        else
            kernels.Gemm(transA, transB, m, n, k, 1.0, a.Span<double>(), lda, b.Span<double>(), ldb, beta, c.Span<double>(), ldc);
    }

    private static void RunBatchedGemm(int batch, bool transA, bool transB, int m, int n, int k,
        Tensor a, int offA, int strideA, Tensor b, int offB, int strideB, Tensor c, int offC)
    {
        var kernels = KernelBackend.For(c.DType);
        if (c.DType == DType.Float32)
            kernels.BatchedGemm(batch, transA, transB, m, n, k, a.Span<float>()[offA..], strideA, b.Span<float>()[offB..], strideB, c.Span<float>()[offC..], m * n);
        else
            kernels.BatchedGemm(batch, transA, transB, m, n, k, a.Span<double>()[offA..], strideA, b.Span<double>()[offB..], strideB, c.Span<double>()[offC..], m * n);
    }
}

public sealed partial class Tensor
{
    /// <summary>torch.Tensor.matmul (see <see cref="Ops.MatMul"/>).</summary>
    public Tensor MatMul(Tensor other) => Ops.MatMul(this, other);
}
