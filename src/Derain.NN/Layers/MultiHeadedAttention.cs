using Derain.NN.Modules;
using Derain.Tensors;

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
        var scores = Ops.MatMul(q, Ops.Transpose(k, -2, -1)) * (1 / Math.Sqrt(ch));
        var att = Ops.MatMul(Ops.Softmax(scores, -1), v);
        var merged = Ops.Reshape(Ops.Permute(att, 0, 2, 1, 3), b, n, c);
        return Output.Forward(merged);
    }
}
