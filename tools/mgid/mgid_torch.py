"""An independent PyTorch 1.13 implementation of MGID's convAE (Cho et al., TIP 2022) for golden vectors and benchmarks.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, numpy); no other packages. Written from the network
description in ../shared/docs/networks/mgid.md and the behaviour of the official code (GitHub jhcho90/MGID,
model/Reconstruction_skip.py, model/Memory.py), not copied from it:
  * BGR input on [-1, 1]; encoder of three conv-BN-ReLU ×2 stages with 2×2 max pooling, skips taken before the pool;
    bottleneck conv-BN-ReLU-conv (no tail) at H/8; an unused encoder.moduleBatchNorm keeps the state-dict names;
  * query q = InstanceNorm2d(bottleneck) (no affine, eps 1e-5), then L2-normalised per pixel;
  * memory read: cat(q, softmax_items(q·Kᵀ).detach() · K), no temperature;
  * decoder: conv block on 128 channels, then three times ConvTranspose(3, s2, p1, op1)-BN-ReLU, concat(skip, up),
    conv block; the last block is the streak head conv-BN-ReLU-conv-BN-ReLU-conv-Tanh;
  * streak = tanh(head) (tanh twice), derained = x − streak;
  * training branch of the memory (per call, on the pixels of the whole batch): gathering loss = MSE(q, K[top1]),
    spreading loss = TripletMarginLoss(margin 1)(q, K[top1], K[top2]) (computed, discarded by convAE), update
    m_i ← normalize(m_i + Σ_{p: top1(p)=i} exp(S_pi − max_p S_pi) · q_p) (= softmax over pixels divided by its
    column max), detached; a pair step reads/updates with K, then with the memory frame 1 left.

Commands:
  check   run both fixtures of ../shared/fixtures/mgid (seeded weights regenerated here; the official-format
          checkpoint random/mgid_model_00000.pth) and print the max abs difference of derained and streak; exit
          status 1 when one exceeds 1e-4.
"""
import hashlib
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import seeded_weights  # noqa: E402
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "mgid"))
FEATURES, MEMORY_SIZE = 64, 20


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU()]


def double_block(cin, cout):
    return nn.Sequential(*conv_bn_relu(cin, cout), *conv_bn_relu(cout, cout))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.moduleConv1 = double_block(3, FEATURES)
        self.moduleConv2 = double_block(FEATURES, FEATURES)
        self.moduleConv3 = double_block(FEATURES, FEATURES)
        self.moduleConv4 = nn.Sequential(*conv_bn_relu(FEATURES, FEATURES), nn.Conv2d(FEATURES, FEATURES, 3, 1, 1))
        self.moduleBatchNorm = nn.BatchNorm2d(FEATURES)  # never used in the forward pass

    def forward(self, x):
        skips = []
        for block in (self.moduleConv1, self.moduleConv2, self.moduleConv3):
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, 2)
        return skips, self.moduleConv4(x)


def up_block():
    return nn.Sequential(nn.ConvTranspose2d(FEATURES, FEATURES, 3, 2, 1, output_padding=1), nn.BatchNorm2d(FEATURES), nn.ReLU())


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.moduleConv = double_block(2 * FEATURES, FEATURES)
        self.moduleUpsample4 = up_block()
        self.moduleDeconv3 = double_block(2 * FEATURES, FEATURES)
        self.moduleUpsample3 = up_block()
        self.moduleDeconv2 = double_block(2 * FEATURES, FEATURES)
        self.moduleUpsample2 = up_block()
        self.moduleDeconv1 = nn.Sequential(*conv_bn_relu(2 * FEATURES, FEATURES), *conv_bn_relu(FEATURES, FEATURES),
                                           nn.Conv2d(FEATURES, 3, 3, 1, 1), nn.Tanh())

    def forward(self, skips, read):
        x1, x2, x3 = skips
        t = self.moduleConv(read)
        t = self.moduleDeconv3(torch.cat([x3, self.moduleUpsample4(t)], 1))
        t = self.moduleDeconv2(torch.cat([x2, self.moduleUpsample3(t)], 1))
        return self.moduleDeconv1(torch.cat([x1, self.moduleUpsample2(t)], 1))


def l2_normalize(x, dim):
    return x / x.norm(dim=dim, keepdim=True).clamp_min(1e-12)


def memory_pass(q_rows, keys, train):
    """Returns (read rows [N, 2d], updated keys, gathering loss, spreading loss or None)."""
    keys = keys.detach()
    scores = q_rows @ keys.t()
    top2 = scores.topk(2, dim=1).indices
    nearest = keys[top2[:, 0]]
    gathering = ((q_rows - nearest) ** 2).mean()
    read = torch.cat([q_rows, F.softmax(scores, 1).detach() @ keys], 1)
    if not train:
        return read, keys, gathering, None
    with torch.no_grad():
        pos, neg = keys[top2[:, 0]], keys[top2[:, 1]]
        d_pos = (q_rows - pos + 1e-6).norm(dim=1)
        d_neg = (q_rows - neg + 1e-6).norm(dim=1)
        spreading = (d_pos - d_neg + 1.0).clamp_min(0).mean()
        weight = torch.exp(scores - scores.max(dim=0, keepdim=True).values)  # softmax over pixels / its column max
        chosen = F.one_hot(top2[:, 0], keys.shape[0]).to(q_rows.dtype) * weight
        updated = l2_normalize(chosen.t() @ q_rows + keys, 1)
    return read, updated, gathering, spreading


class Mgid(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def forward(self, x, keys, train=False):
        skips, bottleneck = self.encoder(x)
        query = F.instance_norm(bottleneck, eps=1e-5)
        b, d, h, w = query.shape
        rows = l2_normalize(query, 1).permute(0, 2, 3, 1).reshape(b * h * w, d)
        read_rows, updated, gathering, spreading = memory_pass(rows, keys, train)
        read = read_rows.reshape(b, h, w, 2 * d).permute(0, 3, 1, 2)
        streak = torch.tanh(self.decoder(skips, read))
        return dict(derained=x - streak, streak=streak, query=query, read=read, memory=updated,
                    gathering=gathering, spreading=spreading)

    def pair(self, x1, x2, keys):
        a = self(x1, keys, True)
        b = self(x2, a["memory"], True)
        return a, b



# ---- the training objective's pieces that torch has no op for

def kmeans1d_sizes(values, k):
    """Sizes of the globally optimal 1-D k-means clusters of `values`, ascending by centroid (kmeans1d's order).

    The exact dynamic programme over the sorted values (as the official ISW_loss.py gets it from the kmeans1d
    package): D[m][i] = min_j D[m-1][j-1] + cost(j, i). Each row is solved by divide and conquer over the monotone
    optimal start, all ranges of one recursion level at once with numpy (O(n) work per level, log n levels), so
    n = 32,768 values (batch 8, 64 channels) take a fraction of a second. Run costs use kmeans1d's prefix-sum
    expression in float64; ties take the leftmost start, like the dense search of tools/golden/mgid_loss.py.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).reshape(-1))
    n = x.size
    k = min(k, n)
    p1 = np.concatenate([[0.0], np.cumsum(x)])
    p2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def cost(j, i):  # values j..i inclusive, j <= i
        count = i - j + 1
        total = p1[i + 1] - p1[j]
        mu = total / count
        return (p2[i + 1] - p2[j]) + count * (mu * mu) - 2 * mu * total

    previous = cost(np.zeros(n, dtype=np.int64), np.arange(n))
    starts = [np.zeros(n, dtype=np.int64)]
    for m in range(1, k):
        current = np.full(n, np.inf)
        start = np.zeros(n, dtype=np.int64)
        lo, hi = np.array([m]), np.array([n - 1])
        opt_lo, opt_hi = np.array([m]), np.array([n - 1])
        while lo.size:
            mid = (lo + hi) >> 1
            top = np.minimum(mid, opt_hi)
            lengths = top - opt_lo + 1
            first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            seg = np.repeat(np.arange(lo.size), lengths)
            j = opt_lo[seg] + np.arange(seg.size) - first[seg]
            c = previous[j - 1] + cost(j, mid[seg])
            best = np.minimum.reduceat(c, first)
            where = np.minimum.reduceat(np.where(c == best[seg], np.arange(seg.size), seg.size), first)
            arg = j[where]
            current[mid], start[mid] = best, arg
            left, right = lo <= mid - 1, mid + 1 <= hi
            lo, hi, opt_lo, opt_hi = (np.concatenate([lo[left], mid[right] + 1]), np.concatenate([mid[left] - 1, hi[right]]),
                                      np.concatenate([opt_lo[left], arg[right]]), np.concatenate([arg[left], opt_hi[right]]))
        previous = current
        starts.append(start)
    sizes = np.zeros(k, dtype=np.int64)
    last = n - 1
    for m in range(k - 1, -1, -1):
        first = starts[m][last]
        sizes[m] = last - first + 1
        last = first - 1
    return sizes


def ssim(x, y, size=11, sigma=1.5):
    """pytorch-ssim's SSIM() as Train.py calls it: 11×11 Gaussian per channel, zero padding, C1 = 0.01², C2 = 0.03²."""
    c = x.shape[1]
    g = torch.exp(-((torch.arange(size, dtype=x.dtype) - size // 2) ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    w = (g[:, None] @ g[None, :]).expand(c, 1, size, size).contiguous()

    def blur(t):
        return F.conv2d(t, w, padding=size // 2, groups=c)
    mx, my = blur(x), blur(y)
    sx, sy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return (((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2))).mean()

# ---- the seeded weights of ../shared/fixtures/mgid (README there), with numpy's wrapping uint64 arithmetic

RULES = [("M1", r"memory_items", "any", 0.0, 0.5, None), ("C1", r".*\.running_var", "any", 1.0, 0.5, None),
         ("C2", r".*\.running_mean", "any", 0.0, 0.1, None), ("C3", r".*\.weight", "1", 1.0, 0.1, None),
         ("C4", r".*\.bias", "1", 0.0, 0.05, None), ("C5", r".*", ">=2", 0.0, None, 2.5)]


def seeded(name, shape):
    """The README recipe: the first rule matching the name and rank gives c and s (or s from the fan-in)."""
    for _, pattern, dims, c, s, gain in RULES:
        if re.fullmatch(pattern, name) and (dims == "any" or (dims == "1") == (len(shape) == 1)):
            break
    if s is None:
        s = gain / np.sqrt(float(int(np.prod(shape)) // shape[0]))
    return seeded_weights.centred(name, shape, c, s)


def seeded_model():
    """(model in eval mode, memory_items) with the fixture's seeded weights, float32."""
    model = Mgid()
    state = {}
    for name, t in model.state_dict().items():
        state[name] = t if t.dtype == torch.int64 else torch.from_numpy(seeded(name, list(t.shape)))
    model.load_state_dict(state)
    return model.eval(), torch.from_numpy(seeded("memory_items", [MEMORY_SIZE, FEATURES]))


def official_model(path):
    """(model, memory_items) from a checkpoint saved as Train.py saves it (a trusted local file: full unpickling)."""
    ckpt = torch.load(path, map_location="cpu")
    model = Mgid()
    model.load_state_dict(ckpt["model"])
    return model.eval(), ckpt["memory_items"].float()


# ---- fixtures

def read_png_bgr(path):
    """8-bit RGB PNG → [1, 3, H, W] float32 BGR, v / 127.5 − 1 in float32 (uses torchvision's decoder)."""
    from torchvision.io import read_image
    rgb = read_image(path)[:3]
    return (rgb.flip(0).float() / np.float32(127.5) - 1.0).unsqueeze(0)


def run_fixture(folder, model, memory):
    names = sorted(os.listdir(os.path.join(folder, "in")))
    want_d = np.load(os.path.join(folder, "out_derained.npy"))
    want_s = np.load(os.path.join(folder, "out_streak.npy"))
    worst = 0.0
    with torch.no_grad():
        for k, name in enumerate(names):
            out = model(read_png_bgr(os.path.join(folder, "in", name)), memory, False)
            ed = float(np.abs(out["derained"][0].numpy() - want_d[k]).max())
            es = float(np.abs(out["streak"][0].numpy() - want_s[k]).max())
            print(f"  {os.path.relpath(folder, FIXTURES) or '.'}/{name}: derained {ed:.3g}, streak {es:.3g}")
            worst = max(worst, ed, es)
    return worst


def check():
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model, memory = seeded_model()
    with open(os.path.join(FIXTURES, "weights_manifest.json")) as f:
        import json
        manifest = json.load(f)["tensors"]
    bad = [t["name"] for t in manifest if "sha256" in t and
           hashlib.sha256(seeded(t["name"], t["shape"]).tobytes()).hexdigest() != t["sha256"]]
    print(f"seeded weights: {len(manifest) - len(bad)} of {len(manifest)} tensors match the manifest" + (f"; differ: {bad[:3]}" if bad else ""))
    worst = run_fixture(FIXTURES, model, memory)
    model, memory = official_model(os.path.join(FIXTURES, "random", "mgid_model_00000.pth"))
    worst = max(worst, run_fixture(os.path.join(FIXTURES, "random"), model, memory))
    print(f"worst max-abs difference {worst:.3g} (tolerance 1e-4)")
    return 0 if worst <= 1e-4 and not bad else 1


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        sys.exit(check())
    print(__doc__)
    sys.exit(2)
