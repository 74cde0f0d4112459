"""PyTorch side of `./bench ops`: the same rows as bench/Derain.Bench/OpsSuite.cs, timed the same way.

Run by the C# benchmark as a child process (Debian's /usr/bin/python3, python3-torch 1.13). It reads one
request per line on stdin, "<row> <min_seconds>", and answers "<row> <median_ms> <reps>" on stdout, so each row
is measured on both sides back to back in one run. Threads: torch.set_num_threads(N) from argv[1].
"""
import math
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)
THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(THREADS)


def rnd(*shape, grad=False):
    t = torch.randn(*shape)
    if grad:
        t.requires_grad_(True)
    return t


def conv2d(size, backward):
    x = rnd(1, 64, size, size, grad=backward)
    w = rnd(64, 64, 3, 3, grad=backward) * 0.05
    w = w.detach().requires_grad_(backward)
    b = torch.zeros(64, requires_grad=backward)
    def run():
        y = F.conv2d(x, w, b, padding=1)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def conv3d(backward):
    x = rnd(1, 64, 5, 64, 64, grad=backward)
    w = (rnd(64, 64, 3, 3, 3) * 0.05).requires_grad_(backward)
    def run():
        y = F.conv3d(x, w, padding=1)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def convT(backward):
    x = rnd(1, 64, 128, 128, grad=backward)
    w = (rnd(64, 64, 4, 4) * 0.05).requires_grad_(backward)
    def run():
        y = F.conv_transpose2d(x, w, stride=2, padding=1)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def deform(backward):
    x = rnd(1, 128, 64, 64, grad=backward)
    off = (rnd(1, 2 * 16 * 9, 64, 64) * 2).requires_grad_(backward)
    mask = torch.rand(1, 16 * 9, 64, 64).requires_grad_(backward)
    w = (rnd(64, 128, 3, 3) * 0.05).requires_grad_(backward)
    b = torch.zeros(64, requires_grad=backward)
    def run():
        y = torchvision.ops.deform_conv2d(x, off, w, b, padding=1, mask=mask)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def grid(backward):
    x = rnd(1, 64, 64, 64, grad=backward)
    g = (torch.rand(1, 64, 64, 2) * 2.2 - 1.1).requires_grad_(backward)
    def run():
        y = F.grid_sample(x, g, mode="bilinear", padding_mode="zeros", align_corners=True)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def attention(backward):
    q = rnd(4, 2420, 128, grad=backward)
    k = rnd(4, 2420, 128, grad=backward)
    v = rnd(4, 2420, 128, grad=backward)
    def run():
        s = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(128)
        p = F.softmax(s, dim=-1)
        y = torch.matmul(p, v)
        if backward:
            y.backward(torch.ones_like(y))
    return run


def layernorm(backward):
    x = rnd(2420, 512, grad=backward)
    w = torch.ones(512, requires_grad=backward)
    b = torch.zeros(512, requires_grad=backward)
    def run():
        y = F.layer_norm(x, (512,), w, b, 1e-5)
        if backward:
            y.backward(torch.ones_like(y))
    return run


ROWS = {
    "conv3x3_64_128_fwd": lambda: conv2d(128, False),
    "conv3x3_64_128_fwdbwd": lambda: conv2d(128, True),
    "conv3x3_64_256_fwd": lambda: conv2d(256, False),
    "conv3x3_64_256_fwdbwd": lambda: conv2d(256, True),
    "conv3d_64_5x64_fwd": lambda: conv3d(False),
    "conv3d_64_5x64_fwdbwd": lambda: conv3d(True),
    "convT4x4s2_64_128_fwd": lambda: convT(False),
    "convT4x4s2_64_128_fwdbwd": lambda: convT(True),
    "deform_128_64_dg16_64_fwd": lambda: deform(False),
    "deform_128_64_dg16_64_fwdbwd": lambda: deform(True),
    "grid_sample_64x64x64_fwd": lambda: grid(False),
    "grid_sample_64x64x64_fwdbwd": lambda: grid(True),
    "attention_2420x512_h4_fwd": lambda: attention(False),
    "attention_2420x512_h4_fwdbwd": lambda: attention(True),
    "layernorm_2420x512_fwd": lambda: layernorm(False),
    "layernorm_2420x512_fwdbwd": lambda: layernorm(True),
}


def measure(run, min_seconds):
    grad = torch.enable_grad()
    with grad:
        warm = time.perf_counter()
        n = 0
        while n < 2 or time.perf_counter() - warm < 0.5:  # the same warm-up as the C# side
            run()
            n += 1
        times = []
        start = time.perf_counter()
        while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < 200):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1000.0, len(times)


def serve(rows):
    """The side-by-side protocol: "ready", then per stdin line "ROW MIN_SECONDS" one line "ROW MS REPS"."""
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        name, min_seconds = parts[0], float(parts[1])
        if name not in rows:
            print(f"{name} error unknown-row", flush=True)
            continue
        ms, reps = measure(rows[name](), min_seconds)
        print(f"{name} {ms:.4f} {reps}", flush=True)


if __name__ == "__main__":
    serve(ROWS)
