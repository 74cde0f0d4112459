"""PyTorch side of `./bench mgid`: the rows of benchmarks/Derain.Bench/MgidSuite.cs on the independent reference
tools/mgid/mgid_torch.py, timed with the shared serve() protocol of tools/bench/torch_ops.py.

argv: threads, then an MGID checkpoint saved as the official Train.py saves it (the C# side passes
../shared/fixtures/mgid/random/mgid_model_00000.pth). Inputs are uniform random BGR in [-1, 1].
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mgid"))
import mgid_torch as ref  # noqa: E402
from torch_ops import serve  # noqa: E402  (also sets the thread count from argv[1])


def inference():
    net, memory = ref.official_model(sys.argv[2])
    image = torch.rand(1, 3, 512, 512) * 2 - 1

    def run():
        with torch.no_grad():
            net(image, memory, False)
    return run


ROWS = {"mgid_infer_512x512": inference}


if __name__ == "__main__":
    serve(ROWS)
