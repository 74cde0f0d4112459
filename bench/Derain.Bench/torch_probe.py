"""PyTorch side of `probe-dnnl` (bench/Derain.Bench/DnnlProbe.cs): reads "<case> <reps>" lines on stdin,
answers "<case> <ms> <ms> ..." (one time per call) per line, so the C# probe can alternate both libraries
within each case under the same machine load. Run with Debian's /usr/bin/python3 (PyTorch 1.13); threads from argv[1]."""
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


def conv_case(dims, size, passes):
    shape = [1, 64] + list(size)
    k = [64, 64] + [3] * dims
    conv = F.conv2d if dims == 2 else F.conv3d
    x = torch.randn(shape)
    w = torch.randn(k) * 0.05
    b = torch.randn(64)
    dy = torch.randn(shape)
    stride, pad, dil = [1] * dims, [1] * dims, [1] * dims
    zero = [0] * dims
    if passes == "fwd":
        def run():
            with torch.no_grad():
                conv(x, w, b, padding=1)
    elif passes in ("bwd-data", "bwd-weights"):
        mask = [True, False, False] if passes == "bwd-data" else [False, True, True]

        def run():
            with torch.no_grad():
                torch.ops.aten.convolution_backward(dy, x, w, [64], stride, pad, dil, False, zero, 1, mask)
    else:
        xg, wg, bg = x.clone().requires_grad_(), w.clone().requires_grad_(), b.clone().requires_grad_()

        def run():
            xg.grad = wg.grad = bg.grad = None
            conv(xg, wg, bg, padding=1).backward(dy)
    return run


def gemm_case():
    a, b = torch.randn(64, 576), torch.randn(576, 65536)
    return lambda: torch.mm(a, b)


def bmm_case():
    a, b = torch.randn(64, 64, 32), torch.randn(64, 32, 64)
    return lambda: torch.bmm(a, b)


def make(case):
    kind, _, rest = case.partition(":")
    if kind == "sgemm":
        return gemm_case()
    if kind == "bmm":
        return bmm_case()
    size, passes = rest.split("/")
    dims = 2 if kind == "conv2d" else 3
    return conv_case(dims, [int(s) for s in size.split("x")], passes)


cache = {}
for line in sys.stdin:
    case, reps = line.split()
    run = cache.get(case)
    if run is None:
        run = cache.setdefault(case, make(case))
        for _ in range(2):
            run()
    times = []
    start = time.perf_counter()
    # At least one timed call; stop early on slow cases (Debian's PyTorch runs conv3d without oneDNN).
    while len(times) < int(reps) and (not times or time.perf_counter() - start < 4.0):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    print(case, *times, flush=True)
