"""Golden vectors for the activation, unary, reduction, softmax and normalisation ops.

Run with Debian's /usr/bin/python3 (torch 1.13): writes tests/Derain.Tensors.Tests/Fixtures/golden/norm/*.npz.
Every case stores its inputs (float32-representable), the seed gradient g, the float64 output y and the
gradients of <y, g> with respect to each differentiable input (dx, dw, db), and for batch/instance norm with
running statistics the updated running_mean / running_var.
"""
import zlib

import torch
import torch.nn.functional as F
from common import rng, randn, rand, save, grads

GROUP = "norm"
torch.set_default_dtype(torch.float64)


def seed_grad(g, shape):
    """randn that also handles 0-d outputs (common.randn needs at least one dimension)."""
    if len(shape) == 0:
        return randn(g, 1).reshape(())
    return randn(g, *shape)


def leaf(t):
    return t.clone().requires_grad_(True)


def unary(name, fn, x, **extra):
    xl = leaf(x)
    y = fn(xl)
    g = seed_grad(rng(zlib.crc32(name.encode())), y.shape)
    (dx,) = grads(y, [xl], g)
    save(GROUP, name, x=x, g=g, y=y, dx=dx, **extra)


def with_kinks(x, values):
    """Places exact kink values (0, bounds) at the start so the gradient conventions are exercised."""
    flat = x.reshape(-1).clone()
    flat[: len(values)] = torch.tensor(values)
    return flat.reshape(x.shape)


def activations():
    g = rng(1)
    shape = (2, 3, 4, 5)
    x = randn(g, *shape)
    kinks = with_kinks(x, [0.0, -0.0, 0.0, 1e-7, -1e-7])
    unary("relu", F.relu, kinks)
    unary("leaky_relu_0.2", lambda t: F.leaky_relu(t, 0.2), kinks, slope=torch.tensor(0.2))
    unary("leaky_relu_0.01", lambda t: F.leaky_relu(t, 0.01), kinks, slope=torch.tensor(0.01))
    unary("sigmoid", torch.sigmoid, randn(g, *shape, scale=4.0))
    tanh_x = with_kinks(randn(g, *shape, scale=2.0), [0.0, 1e-6, -1e-5, 3e-4, -2e-3, 0.1, 12.0, -30.0])
    unary("tanh", torch.tanh, tanh_x)
    unary("abs", torch.abs, kinks)
    positive = rand(g, *shape, low=0.05, high=3.0)
    unary("sqrt", torch.sqrt, positive)
    unary("exp", torch.exp, randn(g, *shape, scale=2.0))
    unary("log", torch.log, positive)
    unary("square", torch.square, x)
    unary("pow_3", lambda t: torch.pow(t, 3.0), x, exponent=torch.tensor(3.0))
    unary("pow_2.5", lambda t: torch.pow(t, 2.5), positive, exponent=torch.tensor(2.5))
    unary("pow_-1.5", lambda t: torch.pow(t, -1.5), positive, exponent=torch.tensor(-1.5))
    unary("pow_0", lambda t: torch.pow(t, 0.0), x, exponent=torch.tensor(0.0))
    at_bounds = with_kinks(x, [-0.5, 0.75, -0.5, 0.75, 0.0])
    unary("clamp_both", lambda t: torch.clamp(t, -0.5, 0.75), at_bounds, min=torch.tensor(-0.5), max=torch.tensor(0.75))
    unary("clamp_min", lambda t: torch.clamp(t, min=-0.5), at_bounds, min=torch.tensor(-0.5))
    unary("clamp_max", lambda t: torch.clamp(t, max=0.75), at_bounds, max=torch.tensor(0.75))

    for name, wshape in (("prelu_channel", (3,)), ("prelu_single", (1,))):
        w = rand(g, *wshape, low=0.05, high=0.5)
        xl, wl = leaf(kinks), leaf(w)
        y = F.prelu(xl, wl)
        gy = seed_grad(g, y.shape)
        dx, dw = grads(y, [xl, wl], gy)
        save(GROUP, name, x=kinks, w=w, g=gy, y=y, dx=dx, dw=dw)


def reductions():
    g = rng(2)
    x = randn(g, 3, 4, 5, 6)
    # Ties for the max gradient: repeat the maximum of some slices.
    tied = x.clone()
    tied[0, 1, :, 2] = 5.0
    tied[1, 2, 3, :2] = 4.5
    tied[2, 0, 0, 0] = tied[2, 0, 1, 0] = 6.0
    cases = [
        ("sum_all", x, lambda t: torch.sum(t), dict()),
        ("sum_dim1", x, lambda t: torch.sum(t, 1), dict(dims=[1], keepdim=0)),
        ("sum_dims02_keep", x, lambda t: torch.sum(t, [0, 2], keepdim=True), dict(dims=[0, 2], keepdim=1)),
        ("sum_last", x, lambda t: torch.sum(t, -1), dict(dims=[-1], keepdim=0)),
        ("mean_all", x, lambda t: torch.mean(t), dict()),
        ("mean_dims13", x, lambda t: torch.mean(t, [1, 3]), dict(dims=[1, 3], keepdim=0)),
        ("mean_dims23_keep", x, lambda t: torch.mean(t, [2, 3], keepdim=True), dict(dims=[2, 3], keepdim=1)),
        ("max_all_ties", tied, lambda t: torch.amax(t), dict()),
        ("max_dim3_ties", tied, lambda t: torch.amax(t, 3), dict(dims=[3], keepdim=0)),
        ("max_dim2_ties", tied, lambda t: torch.amax(t, 2), dict(dims=[2], keepdim=0)),
        ("max_dims03_keep", tied, lambda t: torch.amax(t, [0, 3], keepdim=True), dict(dims=[0, 3], keepdim=1)),
        ("var_dim1", x, lambda t: torch.var(t, 1, unbiased=True), dict(dims=[1], keepdim=0, unbiased=1)),
        ("var_all_biased", x, lambda t: torch.var(t, unbiased=False), dict(unbiased=0)),
        ("var_dims02_keep", x, lambda t: torch.var(t, [0, 2], unbiased=True, keepdim=True), dict(dims=[0, 2], keepdim=1, unbiased=1)),
        ("var_last_biased", x + 100.0, lambda t: torch.var(t, -1, unbiased=False), dict(dims=[-1], keepdim=0, unbiased=0)),
    ]
    for name, inp, fn, meta in cases:
        xl = leaf(inp)
        y = fn(xl)
        gy = seed_grad(g, y.shape)
        (dx,) = grads(y, [xl], gy)
        extra = {k: torch.tensor(v) for k, v in meta.items()}
        save(GROUP, name, x=inp, g=gy, y=y, dx=dx, **extra)


def softmaxes():
    g = rng(3)
    x = randn(g, 4, 7, 9, scale=3.0)
    big = x * 40.0  # exp would overflow without the max shift
    for name, inp, fn, dim in [
        ("softmax_last", x, torch.softmax, -1),
        ("softmax_dim1", x, torch.softmax, 1),
        ("softmax_dim0", x, torch.softmax, 0),
        ("softmax_last_large", big, torch.softmax, -1),
        ("log_softmax_last", x, torch.log_softmax, -1),
        ("log_softmax_dim1", x, torch.log_softmax, 1),
        ("log_softmax_dim0_large", big, torch.log_softmax, 0),
    ]:
        xl = leaf(inp)
        y = fn(xl, dim)
        gy = seed_grad(g, y.shape)
        (dx,) = grads(y, [xl], gy)
        save(GROUP, name, x=inp, g=gy, y=y, dx=dx, dim=torch.tensor(dim))


def layer_norms():
    g = rng(4)
    x = randn(g, 3, 5, 8) + 2.0
    for name, norm_shape, use_w, use_b, eps in [
        ("layer_norm_affine", [8], True, True, 1e-5),
        ("layer_norm_plain_2d", [5, 8], False, False, 1e-5),
        ("layer_norm_weight_only", [8], True, False, 1e-3),
        ("layer_norm_bias_only", [5, 8], False, True, 1e-5),
    ]:
        w = randn(g, *norm_shape) if use_w else None
        b = randn(g, *norm_shape) if use_b else None
        xl = leaf(x)
        wl = leaf(w) if w is not None else None
        bl = leaf(b) if b is not None else None
        y = F.layer_norm(xl, norm_shape, wl, bl, eps)
        gy = seed_grad(g, y.shape)
        ins = [t for t in (xl, wl, bl) if t is not None]
        outs = dict(zip(["dx"] + (["dw"] if use_w else []) + (["db"] if use_b else []), grads(y, ins, gy)))
        extra = {}
        if w is not None: extra["w"] = w
        if b is not None: extra["b"] = b
        save(GROUP, name, x=x, g=gy, y=y, normalized_shape=torch.tensor(norm_shape), eps=torch.tensor(eps), **extra, **outs)


def channel_norm_case(name, fn, x, C, g, affine, running, **kw):
    w = rand(g, C, low=0.5, high=1.5) if affine else None
    b = randn(g, C) if affine else None
    rm = randn(g, C) if running else None
    rv = rand(g, C, low=0.5, high=2.0) if running else None
    rm_after = rm.clone() if running else None
    rv_after = rv.clone() if running else None
    xl = leaf(x)
    wl = leaf(w) if affine else None
    bl = leaf(b) if affine else None
    y = fn(xl, rm_after, rv_after, wl, bl, **kw)
    gy = seed_grad(g, y.shape)
    ins = [xl] + ([wl, bl] if affine else [])
    outs = dict(zip(["dx", "dw", "db"], grads(y, ins, gy)))
    extra = {}
    if affine: extra.update(w=w, b=b)
    if running: extra.update(running_mean=rm, running_var=rv, running_mean_after=rm_after, running_var_after=rv_after)
    flags = {k: torch.tensor(float(v)) for k, v in kw.items()}
    save(GROUP, name, x=x, g=gy, y=y, **extra, **outs, **flags)


def batch_norms():
    g = rng(5)
    x4 = randn(g, 4, 3, 5, 6) * 2.0 + 1.0
    bn = lambda x, rm, rv, w, b, **kw: F.batch_norm(x, rm, rv, w, b, **kw)
    channel_norm_case("batch_norm_train_running_affine", bn, x4, 3, g, True, True, training=True, momentum=0.1, eps=1e-3)
    channel_norm_case("batch_norm_train_plain", bn, x4, 3, g, False, False, training=True, momentum=0.1, eps=1e-5)
    channel_norm_case("batch_norm_eval_affine", bn, x4, 3, g, True, True, training=False, momentum=0.1, eps=1e-3)
    channel_norm_case("batch_norm_train_2d", bn, randn(g, 8, 5), 5, g, True, True, training=True, momentum=0.3, eps=1e-5)

    inorm = lambda x, rm, rv, w, b, **kw: F.instance_norm(x, rm, rv, w, b, **kw)
    x_in = randn(g, 2, 3, 6, 7) * 1.5 - 0.5
    channel_norm_case("instance_norm_plain", inorm, x_in, 3, g, False, False, use_input_stats=True, momentum=0.1, eps=1e-5)
    channel_norm_case("instance_norm_affine", inorm, x_in, 3, g, True, False, use_input_stats=True, momentum=0.1, eps=1e-5)
    channel_norm_case("instance_norm_running_1d", inorm, randn(g, 2, 4, 10), 4, g, True, True, use_input_stats=True, momentum=0.2, eps=1e-5)
    channel_norm_case("instance_norm_eval_running", inorm, x_in, 3, g, True, True, use_input_stats=False, momentum=0.1, eps=1e-5)


if __name__ == "__main__":
    activations()
    reductions()
    softmaxes()
    layer_norms()
    batch_norms()
    print("norm golden vectors written")
