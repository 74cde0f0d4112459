"""Golden vectors for the networks layer: losses, layers and a short training run (src/Derain.NN).

Run: /usr/bin/python3 tools/golden/nn.py  → tests/Derain.NN.Tests/Fixtures/golden/nn/*.npz
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "tests", "Derain.NN.Tests", "Fixtures", "golden", "nn")
os.makedirs(OUT, exist_ok=True)


def save(name, **arrays):
    np.savez(os.path.join(OUT, name + ".npz"),
             **{k: (v.detach().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)) for k, v in arrays.items()})


def ssim_same_padding(x, y, size=11, sigma=1.5):
    """SSIM with a Gaussian window applied per channel with zero padding (the pytorch-ssim convention)."""
    c = x.shape[1]
    g = torch.tensor([math.exp(-((i - size // 2) ** 2) / (2 * sigma ** 2)) for i in range(size)], dtype=x.dtype)
    g = g / g.sum()
    w = (g[:, None] @ g[None, :]).expand(c, 1, size, size).contiguous()
    blur = lambda t: F.conv2d(t, w, padding=size // 2, groups=c)
    mx, my = blur(x), blur(y)
    sx = blur(x * x) - mx * mx
    sy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return (((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2))).mean()


# ---------------------------------------------------------------- losses (float64)
g = common.rng(11)
pred = common.rand(g, 2, 3, 16, 16).requires_grad_(True)
target = common.rand(g, 2, 3, 16, 16)
logits = common.randn(g, 2, 3, 16, 16, scale=3).requires_grad_(True)
bits = torch.from_numpy((g.uniform(size=(2, 3, 16, 16)) > 0.5).astype(np.float64))
losses = {
    "l1": lambda: F.l1_loss(pred, target),
    "mse": lambda: F.mse_loss(pred, target),
    "charbonnier": lambda: torch.sqrt((pred - target) ** 2 + 1e-12).mean(),
    "bce": lambda: F.binary_cross_entropy(pred, bits),
    "ssim": lambda: ssim_same_padding(pred, target),
}
out = {"pred": pred, "target": target, "logits": logits, "bits": bits}
for name, f in losses.items():
    value = f()
    (grad,) = torch.autograd.grad(value, pred)
    out[name] = value.reshape(1)
    out[name + "_grad"] = grad
value = F.binary_cross_entropy_with_logits(logits, bits)
(grad,) = torch.autograd.grad(value, logits)
out["bce_logits"] = value.reshape(1)
out["bce_logits_grad"] = grad
save("losses", **out)

# ---------------------------------------------------------------- multi-headed attention (FuseFormer layout)
class Mha(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.query_embedding = nn.Linear(d, d)
        self.value_embedding = nn.Linear(d, d)
        self.key_embedding = nn.Linear(d, d)
        self.output_linear = nn.Linear(d, d)
        self.h = h

    def forward(self, x, y):
        b, n, c = x.shape
        split = lambda t: t.view(b, n, self.h, c // self.h).permute(0, 2, 1, 3)
        q, k, v = split(self.query_embedding(x)), split(self.key_embedding(y)), split(self.value_embedding(y))
        p = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(c // self.h), dim=-1)
        return self.output_linear((p @ v).permute(0, 2, 1, 3).contiguous().view(b, n, c))


torch.manual_seed(3)
mha = Mha(16, 4).double()
x = common.randn(g, 2, 10, 16).requires_grad_(True)
y = common.randn(g, 2, 10, 16)
o = mha(x, y)
seed = common.randn(g, *o.shape)
(gx,) = torch.autograd.grad(o, x, seed)
save("mha", x=x, y=y, out=o, seed=seed, gx=gx, **{k: v for k, v in mha.state_dict().items()})

# ---------------------------------------------------------------- a short training run (float32)
torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
    nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.LeakyReLU(0.2),
    nn.Conv2d(8, 3, 3, padding=1))
init = {k: v.clone() for k, v in net.state_dict().items()}
xs = torch.from_numpy(g.uniform(size=(2, 3, 16, 16)).astype(np.float32))
ys = F.avg_pool2d(F.pad(xs, (1, 1, 1, 1), mode="replicate"), 3, stride=1)  # toy task: a 3×3 box blur
# SGD with momentum: Adam divides by √v, so a parameter whose gradient is rounding noise (a ReLU-gated
# pixel sum of ~1e-8) would take a full ±lr step whose sign no two implementations share.
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
trace = []
for step in range(20):
    opt.zero_grad()
    out = net(xs)
    # Smooth losses only: L1's gradient jumps where a pixel crosses its target, which turns rounding
    # differences into different gradients.
    loss = torch.sqrt((out - ys) ** 2 + 1e-4).mean() + 0.5 * F.mse_loss(out, ys)
    loss.backward()
    opt.step()
    trace.append(loss.item())
save("train", x=xs, y=ys, losses=np.array(trace),
     **{"init." + k: v for k, v in init.items()},
     **{"final." + k: v for k, v in net.state_dict().items()})

# ---------------------------------------------------------------- state-dict names and shapes of each layer
import json
zoo = {
    "conv1d": nn.Conv1d(1024, 512, 1),
    "conv2d": nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2),
    "conv3d": nn.Conv3d(64, 128, (3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1)),
    "convT": nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),
    "linear": nn.Linear(12544, 512),
    "layernorm": nn.LayerNorm(512),
    "batchnorm": nn.BatchNorm2d(24),
    "instancenorm_affine": nn.InstanceNorm2d(8, affine=True),
    "prelu": nn.PReLU(24),
}
with open(os.path.join(OUT, "layer_shapes.json"), "w") as f:
    json.dump({k: [[n, list(t.shape)] for n, t in m.state_dict().items()] for k, m in zoo.items()}, f, indent=1)
