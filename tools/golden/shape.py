"""Golden vectors for the shape op group (Ops.Pad, Concat, Permute, Flip, Repeat, Index, TopK, PixelShuffle,
Unfold, Pool). Run with Debian's python: /usr/bin/python3 tools/golden/shape.py

Every case stores its float inputs (x, or x0, x1, ... for several), the seed gradient gy (gy0, ... for several
outputs), the outputs y (y0, ...), the input gradients gx (gx0, ...), integer indices (idx, in and out) and
the op's integer parameters, so the C# tests read everything they run from the fixture. References are
computed in float64 from float32-representable inputs.
"""
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from common import grads, randn, rng, save

GROUP = "shape"


def single(name, x, f, **params):
    """One input, one output: y = f(x); stores x, gy, y, gx and params."""
    g = rng(zlib.crc32(name.encode()))
    x = x.clone().requires_grad_(True)
    y = f(x)
    gy = randn(g, *y.shape)
    (gx,) = grads(y, [x], gy)
    save(GROUP, name, x=x, gy=gy, y=y, gx=gx, **params)


def ints(*v):
    return np.array(v, dtype=np.int64)


def pad_cases():
    g = rng(1)
    modes = {"constant": 0, "reflect": 1, "replicate": 2}
    cases = [
        ("pad_constant_2d", (2, 3, 5, 6), (1, 2, 0, 3), "constant", 0.5),
        ("pad_constant_negative", (2, 4, 5), (-1, 2, 1, -2), "constant", -1.25),
        ("pad_constant_3d", (1, 2, 3, 4, 5), (0, 1, 2, 0, 1, 1), "constant", 0.0),
        ("pad_reflect_1d", (2, 3, 7), (3, 2), "reflect", 0.0),
        ("pad_reflect_2d", (1, 2, 5, 6), (2, 1, 3, 4), "reflect", 0.0),
        ("pad_reflect_3d", (1, 2, 4, 5, 6), (1, 2, 3, 0, 2, 1), "reflect", 0.0),
        ("pad_replicate_1d", (2, 3, 4), (5, 1), "replicate", 0.0),
        ("pad_replicate_2d", (2, 2, 4, 5), (3, 1, 0, 2), "replicate", 0.0),
        ("pad_replicate_3d", (1, 2, 3, 4, 5), (2, 2, 1, 3, 1, 0), "replicate", 0.0),
    ]
    for name, shape, pad, mode, value in cases:
        x = randn(g, *shape)
        kw = {"value": value} if mode == "constant" else {}
        single(name, x, lambda t: F.pad(t, pad, mode=mode, **kw),
               pad=ints(*pad), mode=ints(modes[mode]), value=np.array([value]))


def concat_cases():
    g = rng(2)
    for name, shapes, dim in [("cat_dim1", [(2, 3, 4), (2, 1, 4), (2, 5, 4)], 1),
                              ("cat_dim0", [(1, 3, 2), (3, 3, 2)], 0),
                              ("cat_last", [(2, 2, 3), (2, 2, 1), (2, 2, 4)], -1)]:
        xs = [randn(g, *s).requires_grad_(True) for s in shapes]
        y = torch.cat(xs, dim)
        gy = randn(g, *y.shape)
        gxs = grads(y, xs, gy)
        arrays = {f"x{i}": x for i, x in enumerate(xs)}
        arrays.update({f"gx{i}": v for i, v in enumerate(gxs)})
        save(GROUP, name, y=y, gy=gy, dim=ints(dim), **arrays)


def split_cases():
    g = rng(3)
    for name, shape, how, dim in [("chunk_5_of_7", (5, 7, 2), ("chunk", 3), 1),
                                  ("split_size_2", (2, 5), ("size", 2), -1),
                                  ("split_sizes", (6, 3), ("sizes", (1, 3, 2)), 0)]:
        x = randn(g, *shape).requires_grad_(True)
        if how[0] == "chunk":
            ys = torch.chunk(x, how[1], dim)
        else:
            ys = torch.split(x, how[1], dim)
        gys = [randn(g, *y.shape) for y in ys]
        (gx,) = torch.autograd.grad(ys, [x], gys)
        arrays = {f"y{i}": y for i, y in enumerate(ys)}
        arrays.update({f"gy{i}": v for i, v in enumerate(gys)})
        kind = {"chunk": 0, "size": 1, "sizes": 2}[how[0]]
        arg = how[1] if isinstance(how[1], tuple) else (how[1],)
        save(GROUP, name, x=x, gx=gx, kind=ints(kind), arg=ints(*arg), dim=ints(dim), **arrays)


def permute_cases():
    g = rng(4)
    for name, shape, perm in [("permute_nchw_nhwc", (2, 3, 4, 5), (0, 2, 3, 1)),
                              ("permute_nhwc_nchw", (2, 4, 5, 3), (0, 3, 1, 2)),
                              ("permute_rank5", (2, 3, 2, 4, 3), (4, 2, 0, 3, 1)),
                              ("permute_rank2", (33, 40), (1, 0)),
                              ("transpose_last_two", (3, 17, 35), (0, 2, 1))]:
        single(name, randn(g, *shape), lambda t: t.permute(*perm), perm=ints(*perm))


def flip_repeat_expand_cases():
    g = rng(5)
    for name, shape, dims in [("flip_1_3", (2, 3, 4, 5), (1, 3)), ("flip_0", (4, 3), (0,)),
                              ("flip_all", (2, 3, 2), (0, 1, 2))]:
        single(name, randn(g, *shape), lambda t: torch.flip(t, dims), dims=ints(*dims))
    single("repeat_2312", randn(g, 2, 1, 3), lambda t: t.repeat(2, 3, 1, 2), repeats=ints(2, 3, 1, 2))
    single("repeat_same_rank", randn(g, 2, 3), lambda t: t.repeat(3, 2), repeats=ints(3, 2))
    single("expand_lead", randn(g, 3, 1, 4), lambda t: t.expand(2, 3, 5, 4), sizes=ints(2, 3, 5, 4))
    single("expand_keep", randn(g, 1, 4, 1), lambda t: t.expand(3, -1, 2), sizes=ints(3, -1, 2))


def index_cases():
    g = rng(6)
    idx = torch.tensor([4, 0, 2, 2, 1])
    single("index_select_dim1", randn(g, 4, 5, 3), lambda t: torch.index_select(t, 1, idx), dim=ints(1), idx=idx.numpy())
    idx0 = torch.tensor([1, 1, 0])
    single("index_select_dim0", randn(g, 2, 3), lambda t: torch.index_select(t, 0, idx0), dim=ints(0), idx=idx0.numpy())
    gi = torch.from_numpy(g.integers(0, 5, size=(3, 4, 2)))
    single("gather_dim1", randn(g, 3, 5, 4), lambda t: torch.gather(t, 1, gi), dim=ints(1), idx=gi.numpy())
    gi2 = torch.from_numpy(g.integers(0, 3, size=(2, 6)))
    single("gather_dim_last", randn(g, 3, 3), lambda t: torch.gather(t, -1, gi2), dim=ints(-1), idx=gi2.numpy())
    # Distinct values (a permutation) so argmax and topk have no ties.
    x = torch.from_numpy(g.permutation(3 * 7 * 4).reshape(3, 7, 4).astype(np.float64) * 0.25 - 10)
    save(GROUP, "argmax_dim1", x=x, idx=torch.argmax(x, 1).numpy(), dim=ints(1))
    for name, shape, k, dim, largest in [("topk_largest_dim1", (3, 9, 4), 4, 1, True),
                                         ("topk_smallest_last", (2, 3, 8), 3, -1, False)]:
        n = int(np.prod(shape))
        x = torch.from_numpy(g.permutation(n).reshape(shape).astype(np.float64) * 0.125 - 3).requires_grad_(True)
        v, i = torch.topk(x, k, dim, largest=largest, sorted=True)
        gy = randn(g, *v.shape)
        (gx,) = grads(v, [x], gy)
        save(GROUP, name, x=x, y=v, idx=i.numpy(), gy=gy, gx=gx, k=ints(k), dim=ints(dim), largest=ints(int(largest)))


def pixel_shuffle_cases():
    g = rng(7)
    single("pixel_shuffle_r2_5d", randn(g, 2, 3, 8, 3, 4), lambda t: F.pixel_shuffle(t, 2), r=ints(2))
    single("pixel_shuffle_r3", randn(g, 1, 18, 2, 3), lambda t: F.pixel_shuffle(t, 3), r=ints(3))
    single("pixel_unshuffle_r3", randn(g, 2, 3, 6, 9), lambda t: F.pixel_unshuffle(t, 3), r=ints(3))
    single("pixel_unshuffle_r2_3d", randn(g, 2, 4, 6), lambda t: F.pixel_unshuffle(t, 2), r=ints(2))


def unfold_cases():
    g = rng(8)
    cases = [
        ("unfold_vimp_7s3p3", (2, 3, 10, 11), (7, 7), (1, 1), (3, 3), (3, 3)),
        ("unfold_dilated", (1, 2, 7, 9), (2, 3), (2, 1), (1, 0), (1, 2)),
        ("unfold_unbatched", (2, 5, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ]
    for name, shape, k, d, p, s in cases:
        single(name, randn(g, *shape), lambda t: F.unfold(t, k, dilation=d, padding=p, stride=s),
               kernel=ints(*k), dilation=ints(*d), padding=ints(*p), stride=ints(*s))
    fcases = [
        ("fold_vimp_7s3p3", 2, 3, (10, 11), (7, 7), (1, 1), (3, 3), (3, 3)),
        ("fold_dilated", 1, 2, (7, 9), (2, 3), (2, 1), (1, 0), (1, 2)),
        ("fold_overlap_s1", 2, 2, (5, 6), (3, 2), (1, 1), (0, 1), (1, 1)),
    ]
    for name, n, c, size, k, d, p, s in fcases:
        oh = (size[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
        ow = (size[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
        x = randn(g, n, c * k[0] * k[1], oh * ow)
        single(name, x, lambda t: F.fold(t, size, k, dilation=d, padding=p, stride=s),
               output_size=ints(*size), kernel=ints(*k), dilation=ints(*d), padding=ints(*p), stride=ints(*s))


def pool_cases():
    g = rng(9)
    avg = [
        ("avgpool_k3s2p1_ceil", (2, 3, 9, 10), (3, 3), (2, 2), (1, 1), True, True, 0),
        ("avgpool_k32_ceil_nopad", (1, 2, 7, 8), (3, 2), (2, 3), (1, 0), True, False, 0),
        ("avgpool_spynet_k2", (1, 3, 8, 6), (2, 2), (2, 2), (0, 0), False, False, 0),
        ("avgpool_divisor", (2, 2, 5, 5), (2, 3), (1, 2), (1, 1), False, True, 5),
    ]
    for name, shape, k, s, p, ceil, cip, div in avg:
        single(name, randn(g, *shape),
               lambda t: F.avg_pool2d(t, k, s, p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div or None),
               kernel=ints(*k), stride=ints(*s), padding=ints(*p), ceil=ints(int(ceil)), count_include_pad=ints(int(cip)),
               divisor=ints(div))
    mx = [
        ("maxpool_k2s2_mgid", (2, 3, 8, 6), (2, 2), (2, 2), (0, 0), (1, 1), False),
        ("maxpool_k3s2p1_d2_ceil", (1, 2, 9, 10), (3, 3), (2, 2), (1, 1), (2, 2), True),
        ("maxpool_k32_s1_unbatched", (3, 5, 6), (3, 2), (1, 1), (1, 1), (1, 1), False),
        ("maxpool_overlap_ceil", (1, 2, 7, 7), (3, 3), (2, 2), (0, 0), (1, 1), True),
    ]
    for name, shape, k, s, p, d, ceil in mx:
        x = randn(g, *shape).requires_grad_(True)
        y, i = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        gy = randn(g, *y.shape)
        (gx,) = grads(y, [x], gy)
        save(GROUP, name, x=x, y=y, idx=i.numpy(), gy=gy, gx=gx, kernel=ints(*k), stride=ints(*s), padding=ints(*p),
             dilation=ints(*d), ceil=ints(int(ceil)))


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    pad_cases()
    concat_cases()
    split_cases()
    permute_cases()
    flip_repeat_expand_cases()
    index_cases()
    pixel_shuffle_cases()
    unfold_cases()
    pool_cases()
