"""Golden training step of a reduced-width ViMP-Net (run: /usr/bin/python3 tools/golden/vimpnet.py).

One forward + loss + backward of VimpnetOptions(mid_channels=8, num_blocks=1, transformer_channels=16,
transformer_hidden=16, min_size=64) on a batch of two 5-frame 64x64 clips, in float32 on CPU, through the independent
PyTorch port tools/vimpnet/vimpnet_torch.py. The loss is written here from the official derainer.py semantics
(not from Derain's VimpnetLoss): Charbonnier(stage1, drop) + 0.8 BCE(mask, 01drop) + 1.2 Charbonnier(output, gt)
+ 0.5 L1(output*01drop, gt*01drop)/(mean(01drop)+1e-8) + 0.5 MSE(streak, mstreak), Charbonnier sqrt(d^2 + 1e-12).

Weights: the seeded recipe of ../shared/fixtures/vimpnet (README there, rule table in its weights_manifest.json)
applied to the reduced network's names and shapes. Those are derived from the full network's manifest: the same names
(backbones keep block 0 only), with dims 0 and 1 of each tensor mapped from the official widths to the reduced ones
(SPyNet keeps its widths). The list is written out so the C# test can check its own network has exactly these.

Writes tests/Derain.Models.Tests/Fixtures/vimpnet/train_step.npz:
  lq, gt, drop [2,5,3,64,64] uint8; mask (01drop), streak (mstreak) [2,5,1,64,64] uint8 — the loader divides by 255;
  terms [5] float64 (loss_pix, loss_mask, loss_reconstruct, loss_hole, loss_streak, each weighted), total [1];
  grad/<name> for the parameters listed in GRADS;
and train_step_shapes.json: [[name, shape], ...] of every tensor of the reduced state dict.
"""
import json
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vimpnet"))
import vimpnet_torch as vt  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "tests", "Derain.Models.Tests", "Fixtures", "vimpnet")
MID, BLOCKS, TC, HIDDEN = 8, 1, 16, 16
T = vt.T
GRADS = [
    "spynet.basic_module.0.basic_module.0.conv.weight",
    "spynet.basic_module.5.basic_module.4.conv.bias",
    "feat_extract.0.weight",
    "S_mask_streak.0.weight",
    "deform_align.backward_1.conv_offset.6.weight",
    "deform_align.forward_1.conv_offset.0.weight",
    "deform_align.forward_1.weight",
    "backbone.forward_1.main.2.0.conv1.weight",
    "reconstruction.input_conv.weight",
    "S_mask_drop.0.weight",
    "conv_last.weight",
    f"{T}.downdropbg.conv_first.weight",
    f"{T}.ss.embedding.weight",
    f"{T}.TokenLearner.conv_layer.weight",
    f"{T}.transformer.attention.query_embedding.weight",
    f"{T}.transformer1.ffn2.conv.0.weight",
    f"{T}.Fusion_Transformer.norm1.weight",
    f"{T}.sc.bias_conv.weight",
    f"{T}.conv_last.weight",
]


def reduced_dim(name, value):
    if name.startswith("spynet."):
        return value
    if name.startswith(T + "."):
        table = {256: TC, 512: HIDDEN, 12544: 49 * TC, 2048: 4 * HIDDEN, 1024: 2 * HIDDEN, 64: TC // 4, 128: TC // 2,
                 32: TC // 8, 16: TC // 16}
    else:
        table = {64: MID, 128: 2 * MID, 192: 3 * MID, 197: 3 * MID + 5, 32: MID // 2, 16: MID // 4, 8: MID // 8}
    return table.get(value, value)


def reduced_shapes(manifest):
    out = []
    for t in manifest["tensors"]:
        name, shape = t["name"], list(t["shape"])
        m = re.match(r"backbone\.[^.]+\.main\.2\.([0-9]+)\.", name)
        if m and int(m.group(1)) >= BLOCKS:
            continue
        for d in range(min(2, len(shape))):
            shape[d] = reduced_dim(name, shape[d])
        out.append((name, shape, t))
    return out


def seeded_state(rules, shapes):
    state = {}
    for name, shape, entry in shapes:
        if entry.get("skipped"):
            state[name] = torch.tensor(entry["value"], dtype=torch.float32).view(shape)
            continue
        rule = next(r for r in rules if re.fullmatch(r["pattern"], name) and
                    (r["dims"] == "any" or (r["dims"] == "1" and len(shape) == 1) or (r["dims"] == ">=2" and len(shape) >= 2)))
        s = rule["s"] if "s" in rule else rule["gain"] / np.sqrt(float(np.prod(shape) // shape[0]))
        state[name] = vt.seeded(name, shape, rule["c"], s)
    return state


def charbonnier(a, b):
    return torch.sqrt((a - b) ** 2 + 1e-12).mean()


def main():
    torch.set_num_threads(2)
    with open(os.path.join(vt.FIXTURE, "weights_manifest.json")) as f:
        manifest = json.load(f)
    shapes = reduced_shapes(manifest)
    state = seeded_state(manifest["rules"], shapes)
    for k, v in state.items():
        if not k.startswith("spynet.mean") and not k.startswith("spynet.std"):
            v.requires_grad_(True)

    rng = np.random.default_rng(2023)
    n, t, h, w = 2, 5, 64, 64
    base = rng.integers(0, 256, (n, 1, 3, h, w))
    drift = rng.integers(-12, 13, (n, t, 3, h, w))
    gt = np.clip(base + drift, 0, 255).astype(np.uint8)
    mask = (rng.random((n, t, 1, h, w)) < 0.2).astype(np.uint8)
    drop = np.where(mask > 0, rng.integers(150, 256, (n, t, 3, h, w)), gt).astype(np.uint8)
    streak = (rng.random((n, t, 1, h, w)) ** 4 * 255).astype(np.uint8)
    lq = np.clip(drop.astype(np.int32) + streak.astype(np.int32) // 2, 0, 255).astype(np.uint8)

    def f(a):
        return torch.from_numpy(a.astype(np.float32) / np.float32(255))

    s1, dmask, smap, out = vt.forward(state, f(lq))
    m = f(mask)
    terms = [
        charbonnier(s1, f(drop)),
        0.8 * F.binary_cross_entropy(dmask, m),
        1.2 * charbonnier(out, f(gt)),
        0.5 * F.l1_loss(out * m, f(gt) * m) / (m.mean() + 1e-8),
        0.5 * F.mse_loss(smap, f(streak)),
    ]
    total = sum(terms)
    total.backward()
    arrays = dict(lq=lq, gt=gt, drop=drop, mask=mask, streak=streak,
                  terms=np.array([float(x) for x in terms]), total=np.array([float(total)]))
    for name in GRADS:
        arrays["grad/" + name] = state[name].grad.numpy().astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "train_step.npz"), **arrays)
    with open(os.path.join(OUT, "train_step_shapes.json"), "w") as f_:
        json.dump([[name, shape] for name, shape, _ in shapes], f_)
    print("terms", [float(x) for x in terms], "total", float(total))
    print("bytes", os.path.getsize(os.path.join(OUT, "train_step.npz")))


if __name__ == "__main__":
    main()
