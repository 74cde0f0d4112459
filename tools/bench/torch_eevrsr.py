"""PyTorch side of `./bench eevrsr`: the rows of bench/Derain.Bench/EevrsrSuite.cs on the independent reference
tools/eevrsr/eevrsr_torch.py, timed like tools/bench/torch_ops.py (same stdin/stdout protocol and warm-up).

argv: threads, then the EEVRSR_all and EEVRSR_derain_only weights as .safetensors with the TF variable names
(the C# side converts the official checkpoints). Frames are uniform random luma in [0, 1].
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eevrsr"))
import eevrsr_torch as ref  # noqa: E402
from torch_ops import serve  # noqa: E402  (also sets the thread count from argv[1])

WEIGHTS = {ref.ALL: sys.argv[2], ref.DERAIN_ONLY: sys.argv[3]}


def inference(variant):
    net = ref.Eevrsr(ref.read_safetensors(WEIGHTS[variant]), variant)
    frames = torch.rand(1, 5, 480, 640)

    def run():
        with torch.no_grad():
            net.forward(frames)
    return run


def training_step():
    net = ref.Eevrsr(ref.read_safetensors(WEIGHTS[ref.ALL]), ref.ALL).train()
    opt = torch.optim.Adam(list(net.params.values()), lr=1e-4)
    frames = torch.rand(8, 5, 128, 128)
    target = torch.rand(8, 1, 128, 128)

    def run():
        opt.zero_grad(set_to_none=True)
        out, warped, flow = net.forward(frames)
        total = ref.loss_terms(out, warped, flow, frames, target)[0]
        total.backward()
        opt.step()
    return run


ROWS = {
    "eevrsr_all_infer_640x480": lambda: inference(ref.ALL),
    "eevrsr_derain_only_infer_640x480": lambda: inference(ref.DERAIN_ONLY),
    "eevrsr_all_train_b8_5x128x128": training_step,
}


if __name__ == "__main__":
    serve(ROWS)
