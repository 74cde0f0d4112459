"""Golden vectors for broadcasting arithmetic and views (Ops.Elementwise.cs, Ops.Views.cs).

Run: /usr/bin/python3 tools/golden/elementwise.py
"""
import torch
from common import rng, randn, rand, save

GROUP = "elementwise"

CASES = [
    ("same", (2, 3, 4), (2, 3, 4)),
    ("row", (2, 3, 4), (4,)),
    ("col", (2, 3, 4), (3, 1)),
    ("both", (2, 1, 4), (1, 3, 1)),
    ("rank5", (2, 1, 3, 4, 5), (3, 1, 5)),
]

for i, (name, sa, sb) in enumerate(CASES):
    g = rng(100 + i)
    a = randn(g, *sa).requires_grad_(True)
    b = rand(g, *sb, low=0.5, high=2.0).requires_grad_(True)
    out = {}
    for op, f in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)]:
        y = f(a, b)
        seed = randn(g, *y.shape)
        ga, gb = torch.autograd.grad(y, (a, b), seed)
        out[op + "_y"] = y
        out[op + "_seed"] = seed
        out[op + "_ga"] = ga
        out[op + "_gb"] = gb
    save(GROUP, name, a=a, b=b, **out)

# narrow (copying and viewing), reshape
g = rng(200)
x = randn(g, 2, 5, 3).requires_grad_(True)
y = x.narrow(1, 1, 3) * 1.0
seed = randn(g, *y.shape)
(gx,) = torch.autograd.grad(y, (x,), seed)
save(GROUP, "narrow", x=x, y=y, seed=seed, gx=gx)
