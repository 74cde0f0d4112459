namespace Derain.Tensors.Autograd;

/// <summary>
/// A user-defined differentiable op (torch.autograd.Function): subclass, compute the result from the
/// inputs in <see cref="Forward"/> (recording is off there), and map the output gradient to input gradients in
/// <see cref="Backward"/>. Keep tensors for the backward pass with <see cref="GradNode.Save"/> through the
/// context. Apply with <see cref="Apply"/>.
/// </summary>
public abstract class CustomFunction
{
    /// <summary>Computes the output. Tensors the backward pass needs go through <paramref name="ctx"/>.Save.</summary>
    protected abstract Tensor Forward(Context ctx, Tensor[] inputs);

    /// <summary>Gradients for each input (null where none is needed), given the output's gradient.</summary>
    protected abstract Tensor?[] Backward(Context ctx, Tensor gradOutput);

    /// <summary>Runs the function and records it in the graph when any input requires a gradient.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var node = new Node(this);
        Tensor output;
        using (GradMode.NoGrad()) output = Forward(node.Ctx, inputs);
        return GradNode.Record(output, node, inputs);
    }

    /// <summary>What a custom function keeps between its forward and backward passes.</summary>
    public sealed class Context
    {
        private readonly Node _node;
        internal Context(Node node) => _node = node;

        /// <summary>The tensors kept with <see cref="Save"/>, in order.</summary>
        public List<Tensor> Saved { get; } = [];

        /// <summary>Arbitrary non-tensor values for the backward pass.</summary>
        public Dictionary<string, object> Values { get; } = [];

        /// <summary>Keeps a tensor for the backward pass (survives the caller disposing it).</summary>
        public Tensor Save(Tensor t)
        {
            var kept = _node.SaveTensor(t);
            Saved.Add(kept);
            return kept;
        }

        /// <summary>Whether input <paramref name="i"/> needs a gradient.</summary>
        public bool NeedsGrad(int i) => _node.NeedsGrad(i);
    }

    internal sealed class Node : GradNode
    {
        private readonly CustomFunction _fn;
        public Node(CustomFunction fn) { _fn = fn; Ctx = new Context(this); }
        public Context Ctx { get; }
        public override string Name => _fn.GetType().Name + "Backward";
        internal Tensor SaveTensor(Tensor t) => Save(t);
        protected internal override Tensor?[] Backward(Tensor gradOutput) => _fn.Backward(Ctx, gradOutput);
    }
}
