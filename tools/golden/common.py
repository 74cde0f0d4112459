"""Shared helpers for the golden-vector scripts (run with Debian's /usr/bin/python3 and python3-torch).

Each script tools/golden/<group>.py writes tests/Derain.Tensors.Tests/Fixtures/golden/<group>/<case>.npz.
Inputs are drawn in float32 (so the C# side gets exactly the same values), and references are computed by
PyTorch in float64, so both the float32 and the float64 paths of Derain can be compared against them.
"""
import os
import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "tests", "Derain.Tensors.Tests", "Fixtures", "golden")


def rng(seed):
    return np.random.default_rng(seed)


def randn(g, *shape, scale=1.0):
    """float32-representable values, returned as a float64 torch tensor."""
    return torch.from_numpy((g.standard_normal(shape) * scale).astype(np.float32).astype(np.float64))


def rand(g, *shape, low=0.0, high=1.0):
    return torch.from_numpy(g.uniform(low, high, shape).astype(np.float32).astype(np.float64))


def save(group, name, **arrays):
    """Saves named tensors/arrays (as float64 unless integer) into <group>/<name>.npz."""
    d = os.path.join(ROOT, group)
    os.makedirs(d, exist_ok=True)
    out = {}
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().numpy()
        v = np.ascontiguousarray(v)
        if v.dtype.kind == "f":
            v = v.astype(np.float64)
        out[k] = v
    np.savez(os.path.join(d, name + ".npz"), **out)


def grads(y, inputs, seed_grad):
    """Gradients of <y, seed_grad> with respect to each input (None where unused)."""
    return torch.autograd.grad(y, inputs, grad_outputs=seed_grad, allow_unused=True)
