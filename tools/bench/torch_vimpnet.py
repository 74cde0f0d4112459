"""PyTorch side of `./bench vimpnet`: one row of benchmarks/Derain.Bench/VimpnetSuite.cs on the independent reference
tools/vimpnet/vimpnet_torch.py, in a fresh process so that its peak memory is the row's own.

argv: threads, a state dict (.pth: the seeded fixture weights, `vimpnet_torch.py save-seeded`), the row name, the
number of untimed warm-up calls. Prints one line: "ROW MS 1 PEAK_MIB BASE_MIB", where MS is one timed call, PEAK_MIB
the process's peak resident size (VmHWM of /proc/self/status, the same figure as getrusage's ru_maxrss) at the end
and BASE_MIB its resident size (VmRSS) just before the first call, with the weights and input in memory.
"""
import os
import sys
import time

import torch

THREADS = int(sys.argv[1])
torch.set_num_threads(THREADS)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vimpnet"))
import vimpnet_torch as ref  # noqa: E402


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def forward_5x256(weights):
    """One no-grad forward of a [1, 5, 3, 256, 256] clip, uniform in [0, 1] (seed 0)."""
    clip = torch.rand(1, 5, 3, 256, 256, generator=torch.Generator().manual_seed(0))

    def run():
        with torch.no_grad():
            ref.forward(weights, clip)
    return run


def train_step_5x256(weights):
    """One training step at batch 1 of a [1, 5, 3, 256, 256] clip (VimpnetSuite.TrainStepRow): forward, the official
    five-term loss (derainer.py) against fixed random labels, backward, Adam (0.9, 0.99) with SPyNet at 0.25x the rate."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(0)
    clip, gt, drop = (torch.rand(1, 5, 3, 256, 256, generator=g) for _ in range(3))
    mask, streak = (torch.rand(1, 5, 1, 256, 256, generator=g) for _ in range(2))
    trainable = {k: v.requires_grad_(True) for k, v in weights.items() if k not in ("spynet.mean", "spynet.std")}
    spynet = [v for k, v in trainable.items() if k.startswith("spynet.")]
    rest = [v for k, v in trainable.items() if not k.startswith("spynet.")]
    opt = torch.optim.Adam([{"params": rest}, {"params": spynet, "lr": 0.25e-4}], lr=1e-4, betas=(0.9, 0.99))

    def charbonnier(a, b):
        return torch.sqrt((a - b) ** 2 + 1e-12).mean()

    def run():
        s1, m, st, out = ref.forward(weights, clip)
        loss = (charbonnier(s1, drop) + 0.8 * F.binary_cross_entropy(m, mask) + 1.2 * charbonnier(out, gt)
                + 0.5 * F.l1_loss(out * mask, gt * mask) / (mask.mean() + 1e-8) + 0.5 * F.mse_loss(st, streak))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return run


ROWS = {"vimpnet_forward_5x256": forward_5x256, "vimpnet_train_step_5x256": train_step_5x256}


def main():
    _, _, path, row, warmups = sys.argv
    if row not in ROWS:
        print(f"{row} error unknown-row", flush=True)
        return 2
    weights = {k: v.float() for k, v in torch.load(path).items()}
    run = ROWS[row](weights)
    base = status_mib("VmRSS")
    for _ in range(int(warmups)):
        run()
    t0 = time.perf_counter()
    run()
    ms = (time.perf_counter() - t0) * 1000.0
    print(f"{row} {ms:.1f} 1 {status_mib('VmHWM'):.1f} {base:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
