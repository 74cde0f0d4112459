"""Golden vectors for optimisers, gradient clipping and LR schedules (src/Derain.NN/Optim).

Run: /usr/bin/python3 tools/golden/optim.py  → tests/Derain.NN.Tests/Fixtures/golden/optim/*.npz
A parameter vector is updated for STEPS steps with a fixed sequence of gradients; the parameters after every
step are stored, so the C# optimiser can be fed the same gradients and compared step by step.
"""
import os
import numpy as np
import torch
import common

common.ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                           "tests", "Derain.NN.Tests", "Fixtures", "golden")
OUT = os.path.join(common.ROOT, "optim")
os.makedirs(OUT, exist_ok=True)
STEPS = 8
N = 37

g = common.rng(5)
p0 = g.standard_normal(N).astype(np.float32)
grads = (g.standard_normal((STEPS, N)) * np.linspace(0.01, 3, N)).astype(np.float32)
lrs = np.array([1e-2 * (0.8 ** t) for t in range(STEPS)], dtype=np.float64)

CASES = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2),
    "adam_wd": lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.05),
    "sgd": lambda ps: torch.optim.SGD(ps, lr=1e-2),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, nesterov=True),
}

for name, make in CASES.items():
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = make([p])
    trace = []
    for t in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = float(lrs[t])
        p.grad = torch.from_numpy(grads[t].copy())
        opt.step()
        trace.append(p.detach().numpy().copy())
    np.savez(os.path.join(OUT, name + ".npz"), p0=p0, grads=grads, lrs=lrs, trace=np.stack(trace).astype(np.float32))

# clip_grad_norm_
a = torch.nn.Parameter(torch.zeros(5, 3))
b = torch.nn.Parameter(torch.zeros(7))
a.grad = torch.from_numpy(g.standard_normal((5, 3)).astype(np.float32))
b.grad = torch.from_numpy(g.standard_normal(7).astype(np.float32))
ga, gb = a.grad.clone(), b.grad.clone()
total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.5)
np.savez(os.path.join(OUT, "clip.npz"), ga=ga.numpy(), gb=gb.numpy(),
         ca=a.grad.numpy(), cb=b.grad.numpy(), total=np.array([float(total)]))

# schedules, by iteration
def trace_scheduler(make, iters):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sch = make(opt)
    out = []
    for _ in range(iters):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    return np.array(out)

np.savez(os.path.join(OUT, "schedules.npz"),
         cosine=trace_scheduler(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=1e-3), 20),
         step=trace_scheduler(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5), 20),
         multistep=trace_scheduler(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 7, 15], gamma=0.3), 20))
