"""An independent PyTorch 1.13 reference of EEVRSR (ICIP 2019), both variants, for golden vectors and benchmarks.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, numpy); no other packages.

It computes what the official TensorFlow test code computes (GitHub ShirleyGxd/EEVRSR, test_code/net_final.py
and utils.py; the parity details are listed in ../shared/docs/networks/eevrsr.md):
  * convolutions with TensorFlow 'SAME' padding, asymmetric for stride 2 on even sizes (k7 s2: 2 before,
    3 after; k5 s2: 1 / 2);
  * per-channel PReLU, relu(x) + a·(x − |x|)/2, which equals F.prelu bit for bit (the factors 2 and 1/2 are
    exact), shared by the four neighbour warps;
  * depth-to-space in pixel_shuffle order (channel c·r² + ry·r + rx, net_final.py reshapes to [.., 2, r, r]);
  * flows kept in tanh units and summed across the three stages; only the sampler multiplies by 64;
  * the warp of utils.py Transformer: x' = x + 64u, both corner indices clamped to the image and the bilinear
    weights computed from the clamped integers and the unclamped coordinate (samples outside come out ≈ 0);
  * the de-raining dense block returns only its last layer's 12 channels (utils.py DenseBlock returns t);
  * BatchNorm eps 1e-3 with the stored moving statistics at inference; in training, the batch mean and biased
    variance (tf.nn.moments) and TF's zero-debiased moving average (assign_moving_average, decay 0.999).

Weights are read from a .safetensors file with the TensorFlow variable names and layouts ([kh, kw, in, out]), as
written by `./derain weights convert .../EEVRSR_all/model.ckpt OUT.safetensors`; the file is parsed by hand
(8-byte little-endian header length, JSON header, raw little-endian data).

Commands:
  check [--all FILE] [--derain-only FILE] [--float64]
        compare every layer against ../shared/fixtures/eevrsr/*.npz and print the max abs difference per fixture
        key, also relative to the key's largest magnitude (converts the official checkpoints with ./derain when
        no file is given); exit status 1 when a relative difference exceeds 1e-5.

The training loss (the project's definition, also documented in tools/golden/eevrsr.py):
  L_total = L_rest + motion_weight·L_mc;  L_rest = mean (Output − target)²;
  L_mc = mean (Warped_k − F_t)² + smoothness · mean sqrt(0.01 + |∇(64·flow)|²) on the grid y < H−1, x < W−1.
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

ALL, DERAIN_ONLY = "all", "derain_only"
BN_EPS = 1e-3
BN_DECAY = 0.999
WARP_SCALE = 64.0
GROWTH = 12
DENSE_LAYERS = 6

# Motion compensation sub-net (net_final.py warp_img): per stage (scope, [(layer, kernel, stride, out)], last
# layer's upscale). Every layer but the last has PReLU; the last has tanh and feeds depth-to-space.
MC_STAGES = [
    ("Large", [("a1", 7, 2, 24), ("a2", 5, 1, 24), ("a3", 7, 2, 24), ("a4", 5, 1, 24), ("a5", 3, 1, 32)], 4),
    ("X4", [("b1", 5, 2, 24), ("b2", 3, 1, 24), ("b3", 5, 2, 24), ("b4", 3, 1, 24), ("b5", 3, 1, 32)], 4),
    ("X2", [("c1", 5, 2, 24), ("c2", 3, 1, 24), ("c3", 3, 1, 24), ("c4", 3, 1, 24), ("c5", 3, 1, 8)], 2),
]
MC_INPUTS = {"Large": 2, "X4": 5, "X2": 5}
NEIGHBOURS = ("m2", "m1", "p1", "p2")  # frames t−2, t−1, t+1, t+2 (channels 0, 1, 3, 4 of the input)

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


# ---------------------------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------------------------

def read_safetensors(path):
    """Reads a .safetensors file into {name: float64-capable numpy array} without any helper package."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len:]
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(info["shape"])
        out[name] = arr.copy()
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: numpy array} as float32/float64 safetensors (names sorted, 8-byte aligned header)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        code = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64"}[arr.dtype]
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def mc_name(stage, layer, leaf):
    return f"MCNet/{stage}/{layer}/{leaf}"


def dense_prefix(i):
    b = "DerainNet_DenseBlock"
    return f"DerainNet/{b}/{b}_Dense_B_Layer{i}/{b}_Dense_B_Layer{i}"


def variable_specs(variant):
    """(TF name, TF shape, kind) of every model variable; kind in conv_w, bias, alpha, gamma, beta, mean, var."""
    specs = []
    if variant == ALL:
        for stage, layers, _ in MC_STAGES:
            cin = MC_INPUTS[stage]
            for i, (layer, k, _, cout) in enumerate(layers):
                specs.append((mc_name(stage, layer, "weights"), (k, k, cin, cout), "conv_w"))
                specs.append((mc_name(stage, layer, "biases"), (cout,), "bias"))
                if i < len(layers) - 1:
                    specs.append((mc_name(stage, layer, "PReLU/alphas"), (cout,), "alpha"))
                cin = cout

    def bn(prefix, c):
        for leaf, kind in (("beta", "beta"), ("gamma", "gamma"), ("moving_mean", "mean"), ("moving_variance", "var")):
            specs.append((f"{prefix}/{leaf}", (c,), kind))

    def conv(prefix, k, cin, cout):
        specs.append((f"{prefix}/W", (k, k, cin, cout), "conv_w"))
        specs.append((f"{prefix}/b", (cout,), "bias"))

    conv("DerainNet/DerainNet_conv1", 7, 5, 2 * GROWTH)
    cin = 2 * GROWTH
    for i in range(1, DENSE_LAYERS + 1):
        p = dense_prefix(i)
        bn(p + "_BN1", cin)
        conv(p + "_conv1x1", 1, cin, 4 * GROWTH)
        bn(p + "_BN2", 4 * GROWTH)
        conv(p + "_conv3x3", 3, 4 * GROWTH, GROWTH)
        cin += GROWTH
    bn("DerainNet/DerainNet_BN1", GROWTH)
    conv("DerainNet/DerainNet_conv2", 1, GROWTH, GROWTH // 2)
    bn("DerainNet/DerainNet_BN2", GROWTH // 2)
    conv("DerainNet/DerainNet_conv3", 5, GROWTH // 2, 1)
    return specs


def detect_variant(tensors):
    return ALL if any(k.startswith("MCNet/") for k in tensors) else DERAIN_ONLY


def random_weights(variant, seed, flow_gain=0.05):
    """Seeded weights in TF names and layouts, float32 values.

    Convolutions: Xavier uniform as the official code (limit sqrt(6 / (fan_in + fan_out)), fans k·k·in and
    k·k·out); the three flow-producing convolutions (a5, b5, c5) are multiplied by `flow_gain` so that flows
    stay within a few pixels of a small test image (at full Xavier scale almost every sample leaves the image,
    where the clamped warp gives 0 and no gradient). Biases U(−0.05, 0.05), PReLU alphas U(0, 0.3), BN gamma
    U(0.8, 1.2), beta U(−0.1, 0.1), moving mean N(0, 0.1), moving variance U(0.5, 1.5): all non-trivial so every
    parameter matters.
    """
    g = np.random.default_rng(seed)
    out = OrderedDict()
    for name, shape, kind in variable_specs(variant):
        if kind == "conv_w":
            k, _, cin, cout = shape
            limit = math.sqrt(6.0 / (k * k * cin + k * k * cout))
            w = g.uniform(-limit, limit, shape)
            if name.split("/")[-2] in ("a5", "b5", "c5"):
                w = w * flow_gain
        elif kind == "bias":
            w = g.uniform(-0.05, 0.05, shape)
        elif kind == "alpha":
            w = g.uniform(0.0, 0.3, shape)
        elif kind == "gamma":
            w = g.uniform(0.8, 1.2, shape)
        elif kind == "beta":
            w = g.uniform(-0.1, 0.1, shape)
        elif kind == "mean":
            w = g.normal(0.0, 0.1, shape)
        else:
            w = g.uniform(0.5, 1.5, shape)
        out[name] = w.astype(np.float32)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------------------------------------------

def same_padding(size, k, stride):
    """TensorFlow 'SAME': output ceil(size/stride); the odd pixel of padding goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv_same(x, w, b, stride):
    """tf.nn.conv2d(..., 'SAME') + b with w in PyTorch layout [out, in, k, k]."""
    k = w.shape[-1]
    (top, bottom), (left, right) = same_padding(x.shape[2], k, stride), same_padding(x.shape[3], k, stride)
    if top == bottom and left == right:
        return F.conv2d(x, w, b, stride=stride, padding=(top, left))
    return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride=stride)


def warp_clamped(image, flow, scale=WARP_SCALE):
    """utils.py Transformer: samples image [N,C,H,W] at (x + scale·u, y + scale·v), flow [N,2,H,W] (u horizontal).

    Both corners are clamped to the image and the weights use the clamped integers with the unclamped position,
    so a sample outside the image gets weights summing to 0 (its value and gradients vanish up to rounding).
    The floor is piecewise constant: gradients reach the flow only through the weights, as in TensorFlow.
    """
    n, c, h, w = image.shape
    xs = torch.arange(w, dtype=flow.dtype).view(1, 1, w)
    ys = torch.arange(h, dtype=flow.dtype).view(1, h, 1)
    x = xs + flow[:, 0] * scale
    y = ys + flow[:, 1] * scale
    x0, y0 = torch.floor(x.detach()), torch.floor(y.detach())
    x0c, x1c = x0.clamp(0, w - 1), (x0 + 1).clamp(0, w - 1)
    y0c, y1c = y0.clamp(0, h - 1), (y0 + 1).clamp(0, h - 1)
    flat = image.reshape(n, c, h * w)

    def gather(yc, xc):
        idx = (yc * w + xc).long().reshape(n, 1, h * w).expand(n, c, h * w)
        return flat.gather(2, idx).view(n, c, h, w)

    wa = ((x1c - x) * (y1c - y)).unsqueeze(1)
    wb = ((x1c - x) * (y - y0c)).unsqueeze(1)
    wc = ((x - x0c) * (y1c - y)).unsqueeze(1)
    wd = ((x - x0c) * (y - y0c)).unsqueeze(1)
    return wa * gather(y0c, x0c) + wb * gather(y1c, x0c) + wc * gather(y0c, x1c) + wd * gather(y1c, x1c)


# ---------------------------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------------------------

class Eevrsr:
    """EEVRSR with TF-named parameters held in PyTorch layouts (conv weights [out, in, k, k]).

    `params` are the trainable leaves (conv weights/biases, PReLU alphas, BN gamma/beta); `moving` the BN moving
    statistics; `ema` the state of TF's zero-debiased average per moving statistic (biased value, step).
    `training` switches BatchNorm to batch statistics and updates the moving statistics on every forward.
    """

    def __init__(self, tensors, variant=None, dtype=torch.float32):
        self.variant = variant or detect_variant(tensors)
        self.dtype = dtype
        self.training = False
        self.params, self.moving, self.ema = OrderedDict(), OrderedDict(), OrderedDict()
        for name, shape, kind in variable_specs(self.variant):
            if name not in tensors:
                raise KeyError(f"{name} missing from the weights (variant {self.variant})")
            arr = np.asarray(tensors[name])
            if tuple(arr.shape) != tuple(shape):
                raise ValueError(f"{name}: shape {arr.shape}, expected {shape}")
            t = torch.from_numpy(arr.astype(np.float64)).to(dtype)
            if kind == "conv_w":
                t = t.permute(3, 2, 0, 1).contiguous()
            if kind in ("mean", "var"):
                self.moving[name] = t
                self.ema[name] = (torch.zeros_like(t), 0)
            else:
                self.params[name] = t.requires_grad_(True)

    def train(self, on=True):
        self.training = on
        return self

    def tf_layout(self, name, t):
        """A parameter (or its gradient) back in the TF layout."""
        return t.permute(2, 3, 1, 0) if t.dim() == 4 else t

    # -- pieces ---------------------------------------------------------------------------------------------------

    def _conv(self, x, prefix, stride=1, w="W", b="b"):
        return conv_same(x, self.params[f"{prefix}/{w}"], self.params[f"{prefix}/{b}"], stride)

    def _bn(self, x, prefix):
        gamma, beta = self.params[prefix + "/gamma"], self.params[prefix + "/beta"]
        mean_name, var_name = prefix + "/moving_mean", prefix + "/moving_variance"
        if not self.training:
            return F.batch_norm(x, self.moving[mean_name], self.moving[var_name], gamma, beta, False, 0.0, BN_EPS)
        # Normalises with the batch mean and biased variance; with momentum 1 the scratch buffers receive the batch
        # mean and the unbiased variance, whose biased form (tf.nn.moments) is recovered by (count − 1)/count.
        mean = torch.zeros(x.shape[1], dtype=x.dtype)
        var = torch.zeros(x.shape[1], dtype=x.dtype)
        y = F.batch_norm(x, mean, var, gamma, beta, True, 1.0, BN_EPS)
        count = x.numel() // x.shape[1]
        self._ema_update(mean_name, mean)
        self._ema_update(var_name, var * ((count - 1) / count))
        return y

    def _ema_update(self, name, value):
        """moving_averages.assign_moving_average(decay 0.999, zero_debias=True)."""
        biased, step = self.ema[name]
        biased = biased - (biased - value) * (1.0 - BN_DECAY)
        step += 1
        self.ema[name] = (biased, step)
        self.moving[name] = biased / (1.0 - BN_DECAY ** step)

    def motion_compensation(self, pairs, trace=None):
        """pairs [B,2,H,W] = (target frame, neighbour) → (warped neighbour [B,1,H,W], summed flow [B,2,H,W])."""
        neighbour = pairs[:, 1:2]
        x, flow = pairs, None
        for stage, layers, r in MC_STAGES:
            h = x
            for i, (layer, _, stride, _) in enumerate(layers):
                h = conv_same(h, self.params[mc_name(stage, layer, "weights")],
                              self.params[mc_name(stage, layer, "biases")], stride)
                h = torch.tanh(h) if i == len(layers) - 1 else F.prelu(h, self.params[mc_name(stage, layer, "PReLU/alphas")])
            delta = F.pixel_shuffle(h, r)
            flow = delta if flow is None else flow + delta
            warped = warp_clamped(neighbour, flow)
            if trace is not None:
                tag = {"Large": ("flow_large", None, "warp1"), "X4": ("flow_x4", "uv1", "warp2"),
                       "X2": ("flow_x2", "uv2", "warp3")}[stage]
                trace[tag[0]] = delta
                if tag[1]:
                    trace[tag[1]] = flow
                trace[tag[2]] = warped
            x = torch.cat([pairs, flow, warped], 1)
        return warped, flow

    def derain(self, x, trace=None):
        """The de-raining sub-net (net_final.py derain_net): 5 frames → residual [N,1,H,W]."""
        h = self._conv(x, "DerainNet/DerainNet_conv1")
        if trace is not None:
            trace["conv1"] = h
        feats = h
        for i in range(1, DENSE_LAYERS + 1):
            p = dense_prefix(i)
            t = self._conv(F.relu(self._bn(feats, p + "_BN1")), p + "_conv1x1")
            t = self._conv(F.relu(self._bn(t, p + "_BN2")), p + "_conv3x3")
            if trace is not None:
                trace[f"dense{i}"] = t
            feats = torch.cat([feats, t], 1)
        h = F.relu(self._bn(t, "DerainNet/DerainNet_BN1"))  # only the last layer's 12 channels (DenseBlock returns t)
        h = F.relu(self._bn(self._conv(h, "DerainNet/DerainNet_conv2"), "DerainNet/DerainNet_BN2"))
        if trace is not None:
            trace["conv2"] = h
        res = self._conv(h, "DerainNet/DerainNet_conv3")
        if trace is not None:
            trace["residual"] = res
        return res

    def forward(self, frames, trace=None):
        """frames [N,5,H,W] (t−2 … t+2) → (output [N,1,H,W], warped [N,4,H,W] or None, flow [4N,2,H,W] or None)."""
        n, five, h, w = frames.shape
        if five != 5 or h % 4 or w % 4:
            raise ValueError(f"frames must be [N,5,H,W] with H, W multiples of 4, got {list(frames.shape)}")
        centre = frames[:, 2:3]
        warped = flow = None
        if self.variant == ALL:
            nb = frames[:, [0, 1, 3, 4]]
            pairs = torch.stack([centre.expand(n, 4, h, w), nb], 2).reshape(4 * n, 2, h, w)  # n-major
            mc_trace = {} if trace is not None else None
            warped4, flow = self.motion_compensation(pairs, mc_trace)
            warped = warped4.reshape(n, 4, h, w)
            if trace is not None:
                for key, v in mc_trace.items():
                    v = v.reshape(n, 4, v.shape[1], h, w)
                    for k, tag in enumerate(NEIGHBOURS):
                        trace[f"mc_{tag}_{key}"] = v[:, k]
            x = torch.cat([warped[:, 0:2], centre, warped[:, 2:4]], 1)
        else:
            x = frames
        if trace is not None:
            trace["derain_input"] = x
        out = centre + self.derain(x, trace)
        if trace is not None:
            trace["Y_out"] = out
        return out, warped, flow


def loss_terms(output, warped, flow, frames, target, motion_weight=1.0, smoothness=0.01):
    """The project's EEVRSR training loss → (total, restoration, motion, warp MSE, flow smoothness)."""
    rest = (output - target).square().mean()
    if warped is None:
        zero = rest.new_zeros(())
        return rest, rest, zero, zero, zero
    centre = frames[:, 2:3]
    warp_mse = (warped - centre).square().mean()
    uv = flow * WARP_SCALE
    dx = uv[:, :, :-1, 1:] - uv[:, :, :-1, :-1]
    dy = uv[:, :, 1:, :-1] - uv[:, :, :-1, :-1]
    huber = torch.sqrt(0.01 + dx.square().sum(1) + dy.square().sum(1)).mean()
    motion = warp_mse + smoothness * huber
    return rest + motion_weight * motion, rest, motion, warp_mse, huber


# ---------------------------------------------------------------------------------------------------------------
# check: layer-by-layer comparison with ../shared/fixtures/eevrsr
# ---------------------------------------------------------------------------------------------------------------

def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def shared_dir():
    return os.path.join(repo_root(), "..", "shared")


def convert_official(variant, out_dir):
    """Converts an official checkpoint with `./derain weights convert` (TF names and layouts, float32)."""
    folder = "EEVRSR_all" if variant == ALL else "EEVRSR_derain_only"
    ckpt = os.path.join(shared_dir(), "data", "weights", "eevrsr", folder, "model.ckpt")
    out = os.path.join(out_dir, folder + ".safetensors")
    subprocess.run([os.path.join(repo_root(), "derain"), "weights", "convert", ckpt, out], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def check(paths, dtype=torch.float32):
    """Prints, per fixture key, max |torch − fixture| and that difference relative to max |fixture| (the dense
    layers reach ~100, where float32 rounding alone is ~1e-5); returns the worst relative difference."""
    worst = 0.0
    for variant, fixture in ((ALL, "tiny_r1_64x96_all.npz"), (DERAIN_ONLY, "tiny_r1_64x96_derain_only.npz")):
        ref = np.load(os.path.join(shared_dir(), "fixtures", "eevrsr", fixture))
        tensors = read_safetensors(paths[variant])
        if detect_variant(tensors) != variant:
            raise SystemExit(f"{paths[variant]} holds EEVRSR {detect_variant(tensors)} weights, expected {variant}")
        net = Eevrsr(tensors, variant, dtype)
        frames = torch.from_numpy(ref["Y_in"]).unsqueeze(0).to(dtype)
        trace = {}
        with torch.no_grad():
            net.forward(frames, trace)
        print(f"EEVRSR {variant} ({fixture}, torch in {str(dtype)[6:]}): {'key':<16} {'max abs diff':>12} {'relative':>10}")
        for key in ref.files:
            if key in ("Y_in", "rgb_u8"):
                continue
            mine = trace[key].reshape(ref[key].shape).double().numpy()
            d = float(np.max(np.abs(mine - ref[key].astype(np.float64))))
            rel = d / max(1.0, float(np.max(np.abs(ref[key]))))
            worst = max(worst, rel)
            print(f"  {key:<20} {d:12.3e} {rel:10.3e}")
        # The official 8-bit result of the crop needs PIL's YCbCr→RGB tables; compare the rounded Y instead.
        y8 = np.clip(np.round(trace["Y_out"][0, 0].float().numpy() * np.float32(255)), 0, 255)
        y8_ref = np.clip(np.round(ref["Y_out"] * np.float32(255)), 0, 255)
        print(f"  {'Y_u8 mismatches':<20} {int(np.sum(y8 != y8_ref))} of {y8.size}")
    print(f"worst relative difference {worst:.3e} (max abs diff / max(1, max |fixture|))")
    return worst


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] != "check":
        print(f"unknown command {argv[0]} (known: check)", file=sys.stderr)
        return 2
    paths = {ALL: None, DERAIN_ONLY: None}
    dtype = torch.float32
    i = 1
    while i < len(argv):
        if argv[i] == "--float64":
            dtype = torch.float64
            i += 1
        elif argv[i] in ("--all", "--derain-only") and i + 1 < len(argv):
            paths[ALL if argv[i] == "--all" else DERAIN_ONLY] = argv[i + 1]
            i += 2
        else:
            print(f"unknown option {argv[i]}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as tmp:
        for v in paths:
            if paths[v] is None:
                paths[v] = convert_official(v, tmp)
        worst = check(paths, dtype)
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
