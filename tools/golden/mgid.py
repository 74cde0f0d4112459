"""Golden vectors for MGID's training branch: tests/Derain.Models.Tests/Fixtures/mgid/train_pair.npz.

Run with Debian's /usr/bin/python3 (python3-torch 1.13). The network is the independent port tools/mgid/mgid_torch.py
(checked against the official outputs by its `check` command) with the seeded weights of ../shared/fixtures/mgid,
which the C# test regenerates; it runs in float64, in training mode (BatchNorm batch statistics and running-stat
updates), on float32-representable inputs.

One official pair step, convAE.forward(x1, x2, keys, train=True): frame 1 reads and updates the incoming memory,
frame 2 the memory frame 1 left. Recorded: both frames' derained, streak and instance-normed query, the memory after
each frame, the gathering and spreading losses, a BatchNorm running mean after the step, and the gradients of

    L = L1(d1, x2) + L1(d2 + s1, x1) + 0.01·gathering₂ + 0.1·mean(q1²)

with respect to five parameters along the path (first and bottleneck convs, decoder entry, a transposed conv, the
streak head's bias). The memory given to the step is the seeded memory L2-normalised in float32 (Train.py keeps unit rows).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mgid"))
import mgid_torch  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Derain.Models.Tests", "Fixtures", "mgid")
GRADS = ["encoder.moduleConv1.0.weight", "encoder.moduleConv4.3.weight", "decoder.moduleConv.0.weight",
         "decoder.moduleUpsample4.0.weight", "decoder.moduleDeconv1.6.bias"]


def main():
    torch.set_num_threads(2)
    model, memory = mgid_torch.seeded_model()
    memory = mgid_torch.l2_normalize(memory, 1).float()  # float32 unit rows, as Train.py stores them
    model = model.double().train()
    g = np.random.default_rng(6)
    x1 = torch.from_numpy(g.uniform(-1, 1, (2, 3, 32, 40)).astype(np.float32)).double()
    x2 = torch.from_numpy(np.clip(x1.numpy() + g.normal(0, 0.2, x1.shape), -1, 1).astype(np.float32)).double()
    a, b = model.pair(x1, x2, memory.double())
    loss = F.l1_loss(a["derained"], x2) + F.l1_loss(b["derained"] + a["streak"], x1) + 0.01 * b["gathering"] + 0.1 * (a["query"] ** 2).mean()
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, [params[n] for n in GRADS])
    out = dict(x1=x1, x2=x2, memory_in=memory.double(),
               d1=a["derained"], s1=a["streak"], q1=a["query"], memory1=a["memory"], gathering1=a["gathering"], spreading1=a["spreading"],
               d2=b["derained"], s2=b["streak"], q2=b["query"], memory2=b["memory"], gathering2=b["gathering"], spreading2=b["spreading"],
               loss=loss, running_mean=model.state_dict()["encoder.moduleConv1.1.running_mean"])
    for n, gr in zip(GRADS, grads):
        out["grad." + n] = gr
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "train_pair.npz"), **{k: np.asarray(v.detach().numpy(), dtype=np.float64) for k, v in out.items()})
    changed = int((a["memory"] != memory.double()).any(dim=1).sum())
    print(f"wrote train_pair.npz: loss {loss.item():.6f}, gathering {a['gathering'].item():.5f} / {b['gathering'].item():.5f}, "
          f"{changed} of {memory.shape[0]} items moved by frame 1")


if __name__ == "__main__":
    main()
