"""An independent PyTorch 1.13 reference of ViMP-Net (ACM MM 2023) for golden vectors and benchmarks.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14 for deform_conv2d, numpy).

Written from ../shared/docs/networks/vimpnet.md and docs/vimpnet.md as plain functions over a state dict that uses
the official ViMPNet names (so a weight file for Derain's VimpnetNet works here unchanged). Differentiable end to
end, batch size >= 1. The parts, in the order of the forward pass:
  * stage 1 at 1/4 resolution: feature extraction, the streak-intensity Conv3d head, SPyNet on the frames
    bicubically downsampled by 0.25 (border-padded warps inside SPyNet), backward then forward second-order
    propagation with DCNv2 alignment (offsets 10*tanh + flows as (dy, dx); deform groups 0-7 follow flow_n1, 8-15
    flow_n2; the streak map of the current frame in the backward pass, of the previous frame in the forward pass),
    the Conv3d reconstruction with per-frame pixel shuffles, the raindrop-mask head and the stage-1 residual;
  * stage 2: three Conv3d encoders (the two on stage1 and masked stage1 end with slope 0.01), shared SoftSplit,
    TokenLearner, dual blocks P, P, Q, Q (shared weights per block), the fusion block (residual on the normalised
    stream), SoftComp (fold sums overlaps) and the decoder; output = stage1 + residual.

Commands:
  check   rebuild the seeded weights of ../shared/fixtures/vimpnet (README recipe, vectorised), run the fixture clip
          and print the max abs difference of each of the four outputs; exit status 1 above 1e-4.
  save-seeded PATH
          write those seeded weights as a plain state dict (torch.save) that Derain's VimpnetCheckpoint loads too;
          ./bench vimpnet gives both sides the same weights this way.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import seeded_weights  # noqa: E402
FIXTURE = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "vimpnet")
# Widths are read from the state dict, so a reduced-width VimpnetNet (VimpnetOptions) runs here unchanged.


# ------------------------------------------------------------------------------------------------ small pieces

def conv(p, name, x, stride=1, padding=None):
    w = p[name + ".weight"]
    b = p.get(name + ".bias")
    k = w.shape[2:]
    if padding is None:
        padding = tuple(s // 2 for s in k)
    if w.dim() == 4:
        return F.conv2d(x, w, b, stride, padding)
    if w.dim() == 5:
        return F.conv3d(x, w, b, stride, padding)
    return F.conv1d(x, w, b, stride, padding)


def linear(p, name, x):
    return F.linear(x, p[name + ".weight"], p[name + ".bias"])


def residual_stack(p, name, x, blocks):
    """Conv 3x3 + LReLU(0.1), then `blocks` x [conv, ReLU, conv, + identity] (names main.0, main.2.k.conv1/2)."""
    y = F.leaky_relu(conv(p, name + ".main.0", x), 0.1)
    for k in range(blocks):
        r = conv(p, f"{name}.main.2.{k}.conv2", F.relu(conv(p, f"{name}.main.2.{k}.conv1", y)))
        y = y + r
    return y


def warp(x, flow, padding_mode):
    """Sample x at (col + flow_x, row + flow_y); bilinear, align_corners=True. flow: [N, 2, H, W]."""
    n, _, h, w = x.shape
    rows, cols = torch.meshgrid(torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype), indexing="ij")
    gx = 2.0 * (cols + flow[:, 0]) / max(w - 1, 1) - 1.0
    gy = 2.0 * (rows + flow[:, 1]) / max(h - 1, 1) - 1.0
    return F.grid_sample(x, torch.stack((gx, gy), dim=3), mode="bilinear", padding_mode=padding_mode, align_corners=True)


def shuffle_frames(x):
    """[N, C*4, T, H, W] -> [N, C, T, 2H, 2W], pixel shuffle per frame."""
    return F.pixel_shuffle(x.transpose(1, 2), 2).transpose(1, 2)


# ------------------------------------------------------------------------------------------------ SPyNet

def spynet(p, ref, sup):
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=ref.dtype).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=ref.dtype).view(1, 3, 1, 1)
    h, w = ref.shape[2:]
    hu, wu = -(-h // 32) * 32, -(-w // 32) * 32
    if (hu, wu) != (h, w):
        ref = F.interpolate(ref, size=(hu, wu), mode="bilinear", align_corners=False)
        sup = F.interpolate(sup, size=(hu, wu), mode="bilinear", align_corners=False)
    refs, sups = [(ref - mean) / std], [(sup - mean) / std]
    for _ in range(5):
        refs.append(F.avg_pool2d(refs[-1], 2, 2, count_include_pad=False))
        sups.append(F.avg_pool2d(sups[-1], 2, 2, count_include_pad=False))
    refs, sups = refs[::-1], sups[::-1]
    flow = refs[0].new_zeros(ref.shape[0], 2, hu // 32, wu // 32)
    for level in range(6):
        up = flow if level == 0 else 2.0 * F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True)
        y = torch.cat([refs[level], warp(sups[level], up, "border"), up], 1)
        for m in range(5):
            y = conv(p, f"spynet.basic_module.{level}.basic_module.{m}.conv", y)
            if m < 4:
                y = F.relu(y)
        flow = up + y
    if (hu, wu) != (h, w):
        flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
        flow = flow * torch.tensor([w / wu, h / hu], dtype=flow.dtype).view(1, 2, 1, 1)
    return flow


# ------------------------------------------------------------------------------------------------ stage 1

def align(p, name, x, cond, flow1, flow2, streak):
    o = torch.cat([cond, flow1, flow2, streak], 1)
    for k in (0, 2, 4):
        o = F.leaky_relu(conv(p, f"{name}.conv_offset.{k}", o), 0.1)
    o = conv(p, f"{name}.conv_offset.6", o)
    residues = 10.0 * torch.tanh(o[:, :288])
    flows = torch.cat([flow1.flip(1).repeat(1, 72, 1, 1), flow2.flip(1).repeat(1, 72, 1, 1)], 1)
    mask = torch.sigmoid(o[:, 288:])
    return deform_conv2d(x, residues + flows, p[name + ".weight"], p[name + ".bias"], padding=(1, 1), mask=mask)


def propagate(p, direction, spatial, flows, streak, backward_feats=None):
    t = len(spatial)
    order = list(range(t))[::-1] if direction == "backward" else list(range(t))
    name = direction + "_1"
    outs = []
    prop = torch.zeros_like(spatial[0])
    for i, idx in enumerate(order):
        cur = spatial[idx]
        if i > 0:
            fi = idx if direction == "backward" else i - 1  # also the streak-map frame (the official quirk)
            f1 = flows[fi]
            c1 = warp(prop, f1, "zeros")
            if i > 1:
                fi2 = order[i - 1] if direction == "backward" else i - 2
                n2 = outs[-2]
                f2 = f1 + warp(flows[fi2], f1, "zeros")
                c2 = warp(n2, f2, "zeros")
            else:
                n2, f2, c2 = torch.zeros_like(prop), torch.zeros_like(f1), torch.zeros_like(prop)
            prop = align(p, "deform_align." + name, torch.cat([prop, n2], 1), torch.cat([c1, cur, c2], 1), f1, f2, streak[fi])
        parts = [cur] + ([backward_feats[idx]] if backward_feats is not None else []) + [prop]
        blocks = len({k.split(".")[4] for k in p if k.startswith(f"backbone.{name}.main.2.")})
        prop = prop + residual_stack(p, "backbone." + name, torch.cat(parts, 1), blocks)
        outs.append(prop)
    return outs[::-1] if direction == "backward" else outs


def head3d(p, name, x):
    x = F.leaky_relu(conv(p, name + ".0", x), 0.2)
    x = F.leaky_relu(conv(p, name + ".2", x), 0.2)
    return conv(p, name + ".4", x)


def stage1(p, lqs):
    n, t, c, h, w = lqs.shape
    flat = lqs.reshape(n * t, c, h, w)
    small = F.interpolate(flat, scale_factor=0.25, mode="bicubic", align_corners=False).reshape(n, t, c, h // 4, w // 4)
    f = F.leaky_relu(conv(p, "feat_extract.0", flat, 2, 1), 0.1)
    f = F.leaky_relu(conv(p, "feat_extract.2", f, 2, 1), 0.1)
    f = residual_stack(p, "feat_extract.4", f, 5)
    hq, wq = f.shape[2:]
    f = f.reshape(n, t, f.shape[1], hq, wq)
    streak = head3d(p, "S_mask_streak", f.transpose(1, 2))  # [n, 1, t, hq, wq]
    streak_frames = [streak[:, :, i] for i in range(t)]
    spatial = [f[:, i] for i in range(t)]
    a = small[:, :-1].reshape(-1, c, hq, wq)
    b = small[:, 1:].reshape(-1, c, hq, wq)
    fb = spynet(p, a, b).reshape(n, t - 1, 2, hq, wq)
    mirrored = t % 2 == 0 and torch.equal(lqs[:, : t // 2], lqs[:, t // 2:].flip(1))
    ff = fb.flip(1) if mirrored else spynet(p, b, a).reshape(n, t - 1, 2, hq, wq)
    back = propagate(p, "backward", spatial, [fb[:, j] for j in range(t - 1)], streak_frames)
    fwd = propagate(p, "forward", spatial, [ff[:, j] for j in range(t - 1)], streak_frames, back)
    streak_full = F.interpolate(streak.transpose(1, 2).reshape(n * t, 1, hq, wq), size=(h, w), mode="bilinear",
                                align_corners=True).reshape(n, t, 1, h, w)
    x = torch.stack([torch.cat([spatial[i], back[i], fwd[i]], 1) for i in range(t)], 2)  # [n, 192, t, hq, wq]
    x = conv(p, "reconstruction.input_conv", x)
    for k in range(5):
        x = x + conv(p, f"reconstruction.res_blocks.{k}.conv2", F.relu(conv(p, f"reconstruction.res_blocks.{k}.conv1", x)))
    x = shuffle_frames(conv(p, "reconstruction.conv_before_upsample1", x))
    x = shuffle_frames(conv(p, "reconstruction.conv_before_upsample2", x))
    drop = torch.sigmoid(head3d(p, "S_mask_drop", x)).transpose(1, 2)
    s1 = conv(p, "conv_last", x).transpose(1, 2) + lqs
    return s1, drop, streak_full


# ------------------------------------------------------------------------------------------------ stage 2

T = "Dual_Raindrop_gnostic_Transformer"


def encoder(p, name, x, last_slope):
    x = F.leaky_relu(conv(p, f"{T}.{name}.conv_first", x), 0.2)
    x = F.leaky_relu(conv(p, f"{T}.{name}.conv1", x, (1, 2, 2), 1), 0.2)
    return F.leaky_relu(conv(p, f"{T}.{name}.conv2", x, (1, 2, 2), 1), last_slope)


def soft_split(p, enc):
    n, c, t, h, w = enc.shape
    cols = F.unfold(enc.transpose(1, 2).reshape(n * t, c, h, w), 7, padding=3, stride=3)
    hidden = p[f"{T}.ss.embedding.weight"].shape[0]
    return linear(p, f"{T}.ss.embedding", cols.transpose(1, 2)).reshape(n, -1, hidden)


def attention(p, name, q_in, kv_in, heads=4):
    n, length, c = q_in.shape
    d = c // heads

    def split(z):
        return z.reshape(n, -1, heads, d).transpose(1, 2)

    q = split(linear(p, name + ".query_embedding", q_in))
    k = split(linear(p, name + ".key_embedding", kv_in))
    v = split(linear(p, name + ".value_embedding", kv_in))
    a = torch.softmax(q @ k.transpose(-2, -1) / d ** 0.5, dim=-1) @ v
    return linear(p, name + ".output_linear", a.transpose(1, 2).reshape(n, length, c))


def ffn(p, name, x):
    return linear(p, name + ".conv.3", F.relu(linear(p, name + ".conv.0", x)))


def layer_norm(p, name, x):
    return F.layer_norm(x, (x.shape[-1],), p[name + ".weight"], p[name + ".bias"], 1e-5)


def dual_block(p, name, a, b):
    out = []
    for x, f in ((a, "ffn1"), (b, "ffn2")):
        x = x + attention(p, f"{name}.attention", layer_norm(p, f"{name}.norm1", x), layer_norm(p, f"{name}.norm1", x))
        out.append(x + ffn(p, f"{name}.{f}", layer_norm(p, f"{name}.norm2", x)))
    return out


def fusion_block(p, name, a, b):
    m = layer_norm(p, f"{name}.norm1", a)
    d = layer_norm(p, f"{name}.norm1", b)
    x = m + attention(p, f"{name}.attention", m, d)
    return x + ffn(p, f"{name}.ffn", layer_norm(p, f"{name}.norm2", x))


def stage2(p, s1, mask):
    n, t, _, h, w = s1.shape
    e_bg = encoder(p, "downdropbg", torch.cat([s1, mask], 2).transpose(1, 2), 0.2)
    e_s1 = encoder(p, "downdrop1", s1.transpose(1, 2), 0.01)
    e_m = encoder(p, "downdrop2", (s1 * (1 - mask)).transpose(1, 2), 0.01)
    h1, w1 = e_bg.shape[3:]
    a = soft_split(p, e_bg)
    w_tl = p[f"{T}.TokenLearner.conv_layer.weight"]
    b = F.linear(torch.cat([soft_split(p, e_s1), soft_split(p, e_m)], 2), w_tl.reshape(w_tl.shape[0], -1),
                 p[f"{T}.TokenLearner.conv_layer.bias"])
    for blk in ("transformer", "transformer", "transformer1", "transformer1"):
        a, b = dual_block(p, f"{T}.{blk}", a, b)
    x = fusion_block(p, f"{T}.Fusion_Transformer", a, b)
    patch = p[f"{T}.sc.embedding.weight"].shape[0]
    channels = p[f"{T}.sc.bias_conv.weight"].shape[0]
    cols = linear(p, f"{T}.sc.embedding", x).reshape(n * t, -1, patch).transpose(1, 2)
    folded = conv(p, f"{T}.sc.bias_conv", F.fold(cols, (h1, w1), 7, padding=3, stride=3))
    y = folded.reshape(n, t, channels, h1, w1).transpose(1, 2)
    y = shuffle_frames(conv(p, f"{T}.conv_before_upsample1", y))
    y = shuffle_frames(conv(p, f"{T}.conv_before_upsample2", y))
    return conv(p, f"{T}.conv_last", y).transpose(1, 2)


def forward(p, lqs):
    """(stage1, drop mask, streak map, output) for lqs [N, T, 3, H, W] in [0, 1]."""
    s1, drop, streak = stage1(p, lqs)
    return s1, drop, streak, s1 + stage2(p, s1, drop)


# ------------------------------------------------------------------------------------------------ seeded weights

def seeded(name, shape, c, s):
    """The README recipe: c + s*(2u - 1) per element (tools/common/seeded_weights.py)."""
    return torch.from_numpy(seeded_weights.centred(name, shape, c, s))


def seeded_state():
    with open(os.path.join(FIXTURE, "weights_manifest.json")) as f:
        manifest = json.load(f)
    state = {}
    for t in manifest["tensors"]:
        if t.get("skipped"):
            state[t["name"]] = torch.tensor(t["value"], dtype=torch.float32).view(t["shape"])
        else:
            state[t["name"]] = seeded(t["name"], t["shape"], t["c"], t["s"])
    return state


def fixture_input():
    from PIL import Image  # python3-pil, only for the check
    frames = [np.asarray(Image.open(os.path.join(FIXTURE, "in", f"{i:05d}.png")).convert("RGB")) for i in range(5)]
    x = np.stack(frames).astype(np.float32) / np.float32(255)
    return torch.from_numpy(x).permute(0, 3, 1, 2).unsqueeze(0).contiguous()


def check():
    torch.set_num_threads(int(os.environ.get("DERAIN_THREADS", "2")))
    p = seeded_state()
    with torch.no_grad():
        outs = forward(p, fixture_input())
    worst = 0.0
    for out, file in zip(outs, ("out_stage1", "out_dropmask", "out_streakmask", "out_final")):
        ref = np.load(os.path.join(FIXTURE, file + ".npy"))
        err = float(np.abs(out[0].numpy() - ref).max())
        worst = max(worst, err)
        print(f"{file}: max |diff| {err:.3g}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        sys.exit(check())
    if len(sys.argv) == 3 and sys.argv[1] == "save-seeded":
        torch.save(seeded_state(), sys.argv[2])
        sys.exit(0)
    print(__doc__)
    sys.exit(2)
