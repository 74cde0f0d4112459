using Derain.NN.Modules;

namespace Derain.NN.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales every gradient by max_norm / (total_norm + 1e-6) when that factor is below 1, where total_norm
    /// is the L2 norm of all gradients together (PyTorch's rule and epsilon). Returns the total norm before clipping.
    /// </summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToList();
        double sumSq = 0;
        foreach (var g in grads)
            foreach (float v in g.Span<float>()) sumSq += (double)v * v;
        double total = Math.Sqrt(sumSq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
        {
            float c = (float)coef;
            foreach (var g in grads)
            {
                var s = g.Span<float>();
                for (int i = 0; i < s.Length; i++) s[i] *= c;
            }
        }
        return total;
    }
}
