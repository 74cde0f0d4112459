using Derain.NN.Modules;
using Derain.Tensors;
using Derain.Tensors.Autograd;

namespace Derain.NN.Layers;

/// <summary>
/// Multi-head scaled dot-product attention as FuseFormer and ViMP-Net (modules/Dualmaskformer.py) define it:
/// linear query/key/value embeddings of width d, split into h heads of d/h, softmax(q·kᵀ/√(d/h))·v, merged
/// and passed through output_linear. Children are registered in the official order (query_embedding,
/// value_embedding, key_embedding, output_linear) so state-dict names match. Attention dropout is not
/// applied (ViMP-Net trains with dropout 0).
/// </summary>
public sealed class MultiHeadedAttention : Module
{
    public MultiHeadedAttention(int dModel, int heads, Generator generator)
    {
        if (dModel % heads != 0) throw new ArgumentException($"MultiHeadedAttention: width {dModel} is not divisible by {heads} heads.");
        Heads = heads;
        Query = RegisterModule("query_embedding", new Linear(dModel, dModel, generator));
        Value = RegisterModule("value_embedding", new Linear(dModel, dModel, generator));
        Key = RegisterModule("key_embedding", new Linear(dModel, dModel, generator));
        Output = RegisterModule("output_linear", new Linear(dModel, dModel, generator));
    }

    public int Heads { get; }
    public Linear Query { get; }
    public Linear Value { get; }
    public Linear Key { get; }
    public Linear Output { get; }

    /// <summary>Self-attention over the tokens of <paramref name="x"/> [B, N, C].</summary>
    public Tensor Forward(Tensor x) => Forward(x, x);

    /// <summary>Queries from <paramref name="x"/>, keys and values from <paramref name="y"/> (MultiHeadedAttention2), both [B, N, C].</summary>
    public Tensor Forward(Tensor x, Tensor y)
    {
        int b = x.Size(0), n = x.Size(1), c = x.Size(2), ch = c / Heads;
        Tensor SplitHeads(Tensor t) => Ops.Permute(Ops.Reshape(t, b, t.Size(1), Heads, ch), 0, 2, 1, 3);
        var q = SplitHeads(Query.Forward(x));
        var k = SplitHeads(Key.Forward(y));
        var v = SplitHeads(Value.Forward(y));
        var att = GradMode.IsEnabled ? Attend(q, k, v, ch) : AttendHeadByHead(q, k, v, ch);
        var merged = Ops.Reshape(Ops.Permute(att, 0, 2, 1, 3), b, n, c);
        return Output.Forward(merged);
    }

    /// <summary>softmax(q·kᵀ/√ch)·v on [B, heads, N, ch].</summary>
    private static Tensor Attend(Tensor q, Tensor k, Tensor v, int ch)
        => Ops.MatMul(Ops.Softmax(Ops.MatMul(q, Ops.Transpose(k, -2, -1)) * (1 / Math.Sqrt(ch)), -1), v);

    /// <summary>
    /// The same without a graph, one head at a time and each N×N temporary freed as soon as it is used: the score
    /// matrices are the largest tensors of a transformer forward (ViMP-Net: 2,420 tokens, 4 heads, three 94 MB
    /// copies — raw, scaled, softmaxed — alive together), so inference holds one head's 23 MB instead.
    /// </summary>
    private static Tensor AttendHeadByHead(Tensor q, Tensor k, Tensor v, int ch)
    {
        int heads = q.Size(1);
        var parts = new List<Tensor>(heads);
        using var kT = Ops.Transpose(k, -2, -1);
        for (int h = 0; h < heads; h++)
        {
            using var qh = Ops.Narrow(q, 1, h, 1);
            using var kh = Ops.Narrow(kT, 1, h, 1);
            using var vh = Ops.Narrow(v, 1, h, 1);
            using var raw = Ops.MatMul(qh, kh);
            using var scaled = raw * (1 / Math.Sqrt(ch));
            raw.Dispose();
            using var probabilities = Ops.Softmax(scaled, -1);
            scaled.Dispose();
            parts.Add(Ops.MatMul(probabilities, vh));
        }
        var att = Ops.Concat(parts, 1);
        foreach (var part in parts) part.Dispose();
        return att;
    }
}
