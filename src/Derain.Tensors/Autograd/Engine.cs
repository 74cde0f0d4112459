namespace Derain.Tensors.Autograd;

/// <summary>
/// Runs the backward pass (torch.autograd.backward): visits the graph in reverse topological order,
/// accumulates gradients of tensors used more than once, and adds the result into each leaf's
/// <see cref="Tensor.Grad"/>. Intermediate gradients are disposed as soon as their node has run, and the
/// graph's saved tensors are released unless <c>retainGraph</c> is set.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? seed, bool retainGraph)
    {
        root.ThrowIfDisposed();
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward() on Tensor{root.Shape} that does not require a gradient: no input of the computation had RequiresGrad set.");
        if (seed is null && root.NumElements != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar; this tensor has shape {root.Shape}. Reduce it (e.g. Ops.Mean) or pass the gradient.");
        if (seed is not null && seed.Shape != root.Shape)
            throw new ArgumentException($"Backward(): gradient shape {seed.Shape} does not match tensor shape {root.Shape}.");

        using var noGrad = GradMode.NoGrad();
        var rootGrad = seed is null ? Tensor.Ones(root.Shape, root.DType) : seed.Detach();

        if (root.GradFn is null)
        {
            AccumulateLeaf(root, rootGrad);
            return;
        }
        if (root.GradFn.Released)
            throw new InvalidOperationException("Backward() through a graph that was already released: pass retainGraph: true to the first Backward() if you need a second pass.");

        // Order the nodes: count, for each node, how many consumers will send it a gradient.
        var order = TopologicalOrder(root.GradFn);
        var pending = new Dictionary<GradNode, Tensor>(ReferenceEqualityComparer.Instance);
        pending[root.GradFn] = rootGrad;

        foreach (var node in order)
        {
            if (!pending.Remove(node, out var grad)) continue; // no gradient reached it
            var inputs = node.Inputs;
            long started = OpProfiler.IsEnabled ? OpProfiler.BeginBackward() : 0;
            // Temporaries a backward pass creates (reorders, masks, partial products) would otherwise stay in the
            // caller's scope until the step ends; only the returned gradients leave this one.
            Tensor?[] inGrads;
            using (TensorScope.Begin())
            {
                inGrads = node.Backward(grad);
                foreach (var g in inGrads)
                    if (g is not null) TensorScope.Keep(g);
            }
            if (OpProfiler.IsEnabled) OpProfiler.EndBackward(node.ProfileKey, started);
            if (inGrads.Length != inputs.Count)
                throw new InvalidOperationException($"{node.Name} returned {inGrads.Length} gradients for {inputs.Count} inputs.");
            for (int i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                var g = inGrads[i];
                if (input is null || !input.RequiresGrad || g is null) continue;
                if (g.Shape != input.Shape)
                    throw new InvalidOperationException($"{node.Name} returned a gradient of shape {g.Shape} for input {i} of shape {input.Shape}.");
                if (ReferenceEquals(g, grad)) { g = grad.Detach(); }
                if (input.GradFn is { } producer)
                {
                    pending[producer] = pending.Remove(producer, out var prev) ? AddOwned(prev, g) : g;
                }
                else
                {
                    AccumulateLeaf(input, g);
                }
            }
            grad.Dispose();
            if (!retainGraph) node.Release();
            if (OpProfiler.IsEnabled) OpProfiler.Mark("backward: gradient accumulation, release");
        }
        foreach (var left in pending.Values) left.Dispose();
    }

    private static Tensor AddOwned(Tensor a, Tensor b)
    {
        var sum = Ops.Add(a, b);
        a.Dispose();
        b.Dispose();
        return sum;
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            // The gradient must not share a buffer with anything else (g may be a view of a saved tensor or
            // of another gradient) and must outlive any scope the backward pass ran in. A gradient that owns
            // its whole buffer is adopted as it is; only a shared one is copied.
            var own = g.OwnsWholeStorage ? g : Ops.Clone(g);
            if (!ReferenceEquals(own, g)) g.Dispose();
            TensorScope.Detach(own);
            leaf.Grad = own;
        }
        else
        {
            var sum = Ops.Add(leaf.Grad, g);
            leaf.Grad.Dispose();
            g.Dispose();
            TensorScope.Detach(sum);
            leaf.Grad = sum;
        }
    }

    /// <summary>Nodes reachable from <paramref name="root"/>, each after every node that feeds it a gradient.</summary>
    private static List<GradNode> TopologicalOrder(GradNode root)
    {
        // Iterative DFS post-order, reversed.
        var post = new List<GradNode>();
        var visited = new HashSet<GradNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(GradNode Node, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.Inputs;
            bool descended = false;
            for (int i = next; i < inputs.Count; i++)
            {
                if (inputs[i]?.GradFn is { } child && visited.Add(child))
                {
                    stack.Push((node, i + 1));
                    stack.Push((child, 0));
                    descended = true;
                    break;
                }
            }
            if (!descended) post.Add(node);
        }
        post.Reverse();
        return post;
    }
}
