namespace Derain.NN.Optim;

/// <summary>
/// torch.optim.Adam (amsgrad = false) and, with <see cref="Decoupled"/>, torch.optim.AdamW, with PyTorch
/// 1.13's update order: L2 weight decay is added to the gradient (Adam) or the parameter is shrunk by
/// (1 − lr·wd) first (AdamW); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε).
/// </summary>
public class Adam : Optimizer
{
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base(groups, lr)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>True for AdamW's decoupled weight decay.</summary>
    protected virtual bool Decoupled => false;

    protected override void Update(ParamRef at, ParamGroup group, Span<float> p, ReadOnlySpan<float> g, double lr)
    {
        var m = State(at, "exp_avg", p.Length, out _);
        var v = State(at, "exp_avg_sq", p.Length, out _);
        long t = NextParamStep(at);
        double wd = group.WeightDecay ?? WeightDecay;

        float b1 = (float)Beta1, b2 = (float)Beta2;
        float oneMinusB1 = (float)(1 - Beta1), oneMinusB2 = (float)(1 - Beta2);
        double bc1 = 1 - Math.Pow(Beta1, t), bc2 = 1 - Math.Pow(Beta2, t);
        float stepSize = (float)(lr / bc1);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        float eps = (float)Eps;
        float decay = (float)(1 - lr * wd);
        float l2 = (float)wd;
        for (int i = 0; i < p.Length; i++)
        {
            float gi2 = g[i];
            if (wd != 0)
            {
                if (Decoupled) p[i] *= decay;
                else gi2 += l2 * p[i];
            }
            m[i] = m[i] * b1 + oneMinusB1 * gi2;
            v[i] = v[i] * b2 + oneMinusB2 * gi2 * gi2;
            float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
            p[i] -= stepSize * (m[i] / denom);
        }
    }
}

/// <summary>torch.optim.AdamW: Adam with decoupled weight decay (default 0.01 as in PyTorch).</summary>
public sealed class AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    : Adam(groups, lr, beta1, beta2, eps, weightDecay)
{
    protected override bool Decoupled => true;
}
