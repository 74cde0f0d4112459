"""PyTorch side of `./bench mgid`: the rows of benchmarks/Derain.Bench/MgidSuite.cs on the independent reference
tools/mgid/mgid_torch.py, timed with the shared serve() protocol of tools/bench/torch_ops.py.

argv: threads, then an MGID checkpoint saved as the official Train.py saves it (the C# side passes
../shared/fixtures/mgid/random/mgid_model_00000.pth). Inputs are uniform random BGR in [-1, 1].
`torch_mgid.py THREADS CHECKPOINT steps ROW N` calls one row N times and prints each call's time and peak resident
size (the counterpart of `./bench mgid-steps`, for the training row, whose medians take longer than a quiet run may).

The training row is one Train.py iteration: the pair forward in training mode (frame 1 with the memory, frame 2 with
the memory frame 1 left), the full loss L1(d1,d2) + L1(d1,r2) + L1(r1,d2) + L1(d2+s1,r1) + L1(d1+s2,r2)
+ 0.01 gathering + 0.01 BSW - 0.5 SSIM(d1,d2), backward, Adam (2e-4) over the encoder and decoder, and the memory
the pair left becomes the next iteration's. BSW is tools/golden/mgid_loss.py's, with the 50-means of the covariance
variances solved exactly on the CPU by mgid_torch.kmeans1d_sizes (numpy; the official code calls the C++ kmeans1d).

Debian's torch 1.13 is built with BLAS_INFO=generic, and its ConvTranspose2d runs the slow col2im path on that BLAS
(about 20x a conv2d of the same output size here), while Conv2d goes through oneDNN. So that the ratio compares
against what this PyTorch can do, every ConvTranspose2d of the network runs as four Conv2d, one per output pixel
parity (fast_transposed_convs: the same function and gradients; `python3 tools/bench/torch_mgid.py check` compares
them in float64).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mgid"))
import mgid_torch as ref  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import mgid_loss  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def phased_conv_transpose(x, weight, bias):
    """conv_transpose2d(x, weight, bias, stride 2, padding 1, output_padding 1) for 3x3 kernels, as four Conv2d.

    Output pixel 2a + r (per axis) gathers x[a]·w[1] when r = 0, and x[a]·w[2] + x[a+1]·w[0] when r = 1 (x[a+1] is
    zero past the edge: output_padding's extra sample). Each of the four parities is a small convolution of x with
    a sub-kernel (1×1, 1×2, 2×1, 2×2 taps, 9 in all, as many multiplications as the transposed conv itself).
    """
    w = weight.transpose(0, 1)  # [cout, cin, kh, kw]
    even, odd = w[:, :, 1:2], w[:, :, ::2].flip(2)  # rows: tap w[1]; taps w[2], w[0] for x[a], x[a+1]
    ee = F.conv2d(x, even[:, :, :, 1:2], bias)
    eo = F.conv2d(F.pad(x, (0, 1, 0, 0)), even[:, :, :, ::2].flip(3), bias)
    oe = F.conv2d(F.pad(x, (0, 0, 0, 1)), odd[:, :, :, 1:2], bias)
    oo = F.conv2d(F.pad(x, (0, 1, 0, 1)), odd[:, :, :, ::2].flip(3), bias)
    b, c, h, wd = ee.shape
    return torch.stack([torch.stack([ee, eo], -1), torch.stack([oe, oo], -1)], 3).reshape(b, c, 2 * h, 2 * wd)


def fast_transposed_convs(net):
    for m in net.modules():
        if isinstance(m, torch.nn.ConvTranspose2d):
            assert m.kernel_size == (3, 3) and m.stride == (2, 2) and m.padding == (1, 1) and m.output_padding == (1, 1)
            m.forward = (lambda mod: lambda x: phased_conv_transpose(x, mod.weight, mod.bias))(m)
    return net


def check():
    torch.manual_seed(0)
    conv = torch.nn.ConvTranspose2d(5, 4, 3, 2, 1, output_padding=1).double()
    x = torch.randn(2, 5, 6, 7, dtype=torch.float64, requires_grad=True)
    want = conv(x)
    gw = torch.autograd.grad(want.square().sum(), [x, conv.weight, conv.bias])
    got = phased_conv_transpose(x, conv.weight, conv.bias)
    gg = torch.autograd.grad(got.square().sum(), [x, conv.weight, conv.bias])
    err = max([float((want - got).abs().max())] + [float((a - b).abs().max()) for a, b in zip(gw, gg)])
    print(f"phased convs vs ConvTranspose2d (values and gradients, float64): max abs difference {err:.3g}")
    return 0 if err < 1e-10 else 1


def inference():
    net, memory = ref.official_model(sys.argv[2])
    fast_transposed_convs(net)
    image = torch.rand(1, 3, 512, 512) * 2 - 1

    def run():
        with torch.no_grad():
            net(image, memory, False)
    return run


def training_loss(a, b, r1, r2):
    """Train.py's loss of one pair step (a, b: Mgid.pair's outputs for frames r1, r2)."""
    d1, d2, s1, s2 = a["derained"], b["derained"], a["streak"], b["streak"]
    pixel = F.l1_loss(d1, d2)
    texture = F.l1_loss(d1, r2) + F.l1_loss(r1, d2)
    same = F.l1_loss(d2 + s1, r1) + F.l1_loss(d1 + s2, r2)
    whitening = mgid_loss.bsw(a["query"], b["query"], sizes=ref.kmeans1d_sizes)[0]
    return pixel + texture + same + 0.01 * b["gathering"] + 0.01 * whitening - 0.5 * ref.ssim(d1, d2)


def training_step():
    net, memory = ref.official_model(sys.argv[2])
    fast_transposed_convs(net).train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    r1 = torch.rand(8, 3, 256, 256) * 2 - 1
    r2 = torch.rand(8, 3, 256, 256) * 2 - 1
    state = {"memory": memory}

    def run():
        opt.zero_grad(set_to_none=True)
        a, b = net.pair(r1, r2, state["memory"])
        training_loss(a, b, r1, r2).backward()
        opt.step()
        state["memory"] = b["memory"]
    return run


ROWS = {"mgid_infer_512x512": inference, "mgid_train_b8_2x256x256": training_step}


def steps(row, count):
    """The PyTorch counterpart of `./bench mgid-steps`: one row's action called `count` times in this process, printing
    each call's time and the resident size now and at its peak (VmRSS, VmHWM of /proc/self/status, MiB)."""
    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")
    import time
    run = ROWS[row]()
    print(f"{row}: before the first call RSS {status('VmRSS'):.0f}", flush=True)
    for i in range(count):
        t0 = time.perf_counter()
        run()
        ms = (time.perf_counter() - t0) * 1000
        print(f"  call {i + 1}: {ms:9.1f} ms  RSS {status('VmRSS'):7.0f}  HWM {status('VmHWM'):7.0f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        sys.exit(check())
    if len(sys.argv) >= 6 and sys.argv[3] == "steps":
        # argv: threads, checkpoint, "steps", row, count (run with LD_PRELOAD of tcmalloc, as ./bench does)
        torch.set_num_threads(int(sys.argv[1]))
        steps(sys.argv[4], int(sys.argv[5]))
        sys.exit(0)
    from torch_ops import serve  # noqa: E402  (also sets the thread count from argv[1])
    serve(ROWS)
