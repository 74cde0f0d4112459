namespace Derain.NN.Optim;

/// <summary>
/// torch.optim.SGD with momentum, dampening, Nesterov and L2 weight decay, PyTorch's rule:
/// d = g + wd·p; b ← d on the first step, else μ·b + (1−dampening)·d; d = d + μ·b (Nesterov) or b; p ← p − lr·d.
/// </summary>
public sealed class Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    : Optimizer(groups, lr)
{
    protected override void Update(ParamRef at, ParamGroup group, Span<float> p, ReadOnlySpan<float> g, double lr)
    {
        float wd = (float)(group.WeightDecay ?? weightDecay);
        float mu = (float)momentum, damp = (float)(1 - dampening), rate = (float)lr;
        float[]? buf = null;
        bool first = false;
        if (momentum != 0) buf = State(at, "momentum_buffer", p.Length, out first);
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i];
            if (wd != 0) d += wd * p[i];
            if (buf is not null)
            {
                buf[i] = first ? d : buf[i] * mu + damp * d;
                d = nesterov ? d + mu * buf[i] : buf[i];
            }
            p[i] -= rate * d;
        }
    }
}
