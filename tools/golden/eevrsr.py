"""Golden vectors for EEVRSR (run: /usr/bin/python3 tools/golden/eevrsr.py).

Writes tests/Derain.Models.Tests/Fixtures/eevrsr/ from the independent PyTorch reference in
tools/eevrsr/eevrsr_torch.py (itself checked layer by layer against the official TensorFlow outputs with
`/usr/bin/python3 tools/eevrsr/eevrsr_torch.py check`). Inputs are float32-representable; references are
computed in float64, so Derain's float32 and float64 paths both compare against them.

warp_clamped.npz — the clamped-corner warp alone (utils.py Transformer), float64:
  image [2,3,9,11], flow [2,2,9,11] (tanh units; ×64 spans ±7 px, often outside the 11×9 image, with some
  positions placed exactly on pixel centres, on the last row/column and on −1), scale [64], grad_out [2,3,9,11],
  out, grad_image, grad_flow (the gradients of <out, grad_out>).

train_step_all.safetensors + train_step_all.npz — one EEVRSR_all training step, float64:
  the .safetensors holds seeded weights with the TensorFlow variable names and layouts ([kh, kw, in, out]) in
  float32, exactly what `derain weights convert` writes for an official checkpoint (random_weights in
  eevrsr_torch.py: Xavier-uniform convolutions, the flow convolutions a5/b5/c5 scaled by 0.05 so that flows stay
  within a few pixels, non-trivial biases, PReLU alphas, BN gamma/beta and moving statistics).
  npz keys:
    frames [2,5,16,24], target [2,1,16,24]    float32-representable inputs in [0,1] (smooth moving patterns + noise)
    eval_output [2,1,16,24]                   inference output (moving statistics) before the step
    output [2,1,16,24], warped [2,4,16,24], flow [8,2,16,24]   the training-mode forward (batch statistics)
    loss_total, loss_restoration, loss_motion, loss_warp_mse, loss_smoothness   the terms below (shape [1])
    grad/<TF name>                            ∂loss_total/∂parameter in the TF layout, every trainable variable
                                              (stored as float32: a relative rounding of 6e-8 on the float64 value)
    ema_steps [1], ema_biased/<TF name>       the zero-debias state before the step, as if 5 updates had been made:
                                              local_step 5 and biased = moving·(1 − 0.999⁵) for every BN moving_mean /
                                              moving_variance (TF keeps them as <scope>/<scope>/moving_mean/biased
                                              and …/local_step; the converted weights do not carry them)
    moving/<TF name>                          every BN moving_mean / moving_variance after the step
    frames2 [2,5,16,24], moving2/<TF name>    a second training-mode forward on frames2 (same weights): the moving
                                              statistics after both updates
    min_boundary_distance [1]                 over every sample position of every warp in the three forwards, the
                                              distance (px) to the nearest ⌊·⌋ jump; the seed is chosen so that
                                              float32 rounding of the positions cannot change a corner (> 5e-5)
  Loss (the project's EEVRSR training loss, motion weight 1, smoothness 0.01):
    L_total = L_rest + L_mc, L_rest = mean (output − target)², L_mc = mean (warped_k − frames[:,2])²
              + 0.01 · mean over flows and y < H−1, x < W−1 of sqrt(0.01 + Σ_{c∈u,v} (∂x c)² + (∂y c)²), (u,v) = 64·flow.
  BatchNorm in training: batch mean and biased variance, eps 1e-3; moving statistics by TF's zero-debiased
  assign_moving_average (decay 0.999): biased ← biased − (biased − batch)(1 − 0.999), step ← step + 1,
  moving = biased / (1 − 0.999^step), from the ema_* state above (so that neither a plain copy of the batch
  statistics nor an undebiased average passes).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eevrsr"))
import eevrsr_torch as ref  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "tests", "Derain.Models.Tests", "Fixtures", "eevrsr")


def save(name, **arrays):
    os.makedirs(ROOT, exist_ok=True)
    out = {}
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().numpy()
        v = np.ascontiguousarray(v)
        if v.dtype.kind == "f" and v.dtype != np.float32:
            v = v.astype(np.float64)
        out[k] = v
    path = os.path.join(ROOT, name + ".npz")
    np.savez_compressed(path + ".tmp.npz", **out)
    os.replace(path + ".tmp.npz", path)


def f32(a):
    """float32-representable values as a float64 tensor."""
    return torch.from_numpy(np.asarray(a, dtype=np.float32).astype(np.float64))


# ---------------------------------------------------------------------------------------------------------------
# (a) the warp alone
# ---------------------------------------------------------------------------------------------------------------

def warp_scalar(image, flow, scale):
    """A per-pixel loop version of the warp (the formula of utils.py _interpolate), to cross-check the vectorised one."""
    n, c, h, w = image.shape
    out = np.zeros((n, c, h, w))
    for b in range(n):
        for y in range(h):
            for x in range(w):
                px, py = x + flow[b, 0, y, x] * scale, y + flow[b, 1, y, x] * scale
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                x0c, x1c = min(max(x0, 0), w - 1), min(max(x0 + 1, 0), w - 1)
                y0c, y1c = min(max(y0, 0), h - 1), min(max(y0 + 1, 0), h - 1)
                wa, wb = (x1c - px) * (y1c - py), (x1c - px) * (py - y0c)
                wc, wd = (px - x0c) * (y1c - py), (px - x0c) * (py - y0c)
                out[b, :, y, x] = (wa * image[b, :, y0c, x0c] + wb * image[b, :, y1c, x0c]
                                   + wc * image[b, :, y0c, x1c] + wd * image[b, :, y1c, x1c])
    return out


def warp_case():
    g = np.random.default_rng(501)
    n, c, h, w, scale = 2, 3, 9, 11, 64.0
    image = f32(g.uniform(0, 1, (n, c, h, w)))
    flow = g.uniform(-7, 7, (n, 2, h, w)) / scale
    # Exact positions (k/64 is exact in float32): on pixel centres, on the last column/row (where the clamped
    # corners coincide and the sample is 0), on 0 and on −1.
    for b, y, x, tx, ty in [(0, 0, 0, 0.0, 0.0), (0, 2, 3, 5.0, 4.0), (0, 4, 5, 10.0, 3.0), (0, 6, 7, 2.0, 8.0),
                            (1, 1, 1, -1.0, 2.0), (1, 3, 9, 10.0, 8.0), (1, 5, 2, 0.0, -1.0), (1, 8, 10, 4.5, 7.25)]:
        flow[b, 0, y, x] = (tx - x) / scale
        flow[b, 1, y, x] = (ty - y) / scale
    flow = f32(flow)
    grad_out = f32(g.standard_normal((n, c, h, w)))
    image.requires_grad_(True)
    flow.requires_grad_(True)
    out = ref.warp_clamped(image, flow, scale)
    gi, gf = torch.autograd.grad(out, [image, flow], grad_outputs=grad_out)
    loop = warp_scalar(image.detach().numpy(), flow.detach().numpy(), scale)
    assert np.max(np.abs(loop - out.detach().numpy())) < 1e-13, "vectorised and scalar warps disagree"
    check_warp_gradients(image.detach(), flow.detach(), grad_out, gi, gf, scale)
    save("warp_clamped", image=image, flow=flow, scale=np.array([scale]), grad_out=grad_out, out=out,
         grad_image=gi, grad_flow=gf)
    print(f"warp_clamped: |out| max {out.abs().max():.3f}, zero samples {(out.abs() < 1e-12).sum().item()} of {out.numel()}")


def check_warp_gradients(image, flow, grad_out, gi, gf, scale):
    """Central differences on <warp, grad_out>: exact for the image (linear), and for flows away from a ⌊·⌋ jump."""
    def f(im, fl):
        return float((ref.warp_clamped(im, fl, scale) * grad_out).sum())
    eps = 1e-7
    num_i = torch.zeros_like(image)
    for i in range(image.numel()):
        e = torch.zeros(image.numel(), dtype=image.dtype)
        e[i] = eps
        e = e.view_as(image)
        num_i.view(-1)[i] = (f(image + e, flow) - f(image - e, flow)) / (2 * eps)
    assert torch.max(torch.abs(num_i - gi)) < 1e-6, "image gradient fails the finite-difference check"
    base = torch.stack(torch.meshgrid(torch.arange(flow.shape[3], dtype=flow.dtype),
                                      torch.arange(flow.shape[2], dtype=flow.dtype), indexing="xy"))
    pos = base.unsqueeze(0) + flow * scale
    smooth = (torch.abs(pos - torch.round(pos)) > 1e-3).all(1, keepdim=True).expand_as(flow)
    checked = 0
    for i in range(flow.numel()):
        if not smooth.reshape(-1)[i]:
            continue
        e = torch.zeros(flow.numel(), dtype=flow.dtype)
        e[i] = eps / scale
        e = e.view_as(flow)
        num = (f(image, flow + e) - f(image, flow - e)) / (2 * eps / scale)
        assert abs(num - gf.reshape(-1)[i]) < 1e-5 * max(1.0, abs(num)), f"flow gradient {i} fails the check"
        checked += 1
    assert checked > flow.numel() // 2


# ---------------------------------------------------------------------------------------------------------------
# (b) one training step of EEVRSR_all
# ---------------------------------------------------------------------------------------------------------------

def smooth_clips(g, n, h, w):
    """Frames in [0,1]: a smooth random pattern moving by a sub-pixel shift per frame, plus rain-like noise."""
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    frames = np.zeros((n, 5, h, w))
    clean = np.zeros((n, 1, h, w))
    for b in range(n):
        waves = [(g.uniform(0.15, 0.6), g.uniform(0, 2 * np.pi), g.uniform(0, 2 * np.pi), g.uniform(0.1, 0.25))
                 for _ in range(4)]
        vx, vy = g.uniform(-1.5, 1.5, 2)
        for t in range(5):
            dx, dy = vx * (t - 2), vy * (t - 2)
            img = 0.5 + sum(a * np.cos(k * ((xx - dx) * np.cos(th) + (yy - dy) * np.sin(th)) + ph)
                            for k, th, ph, a in waves)
            img = np.clip(img, 0.02, 0.98)
            if t == 2:
                clean[b, 0] = img
            frames[b, t] = np.clip(img + g.uniform(0, 0.15, (h, w)) * (g.uniform(0, 1, (h, w)) < 0.2), 0, 1)
    return f32(frames), f32(clean)


class PositionLog:
    """Wraps the reference warp and records the distance of every sample position to the nearest ⌊·⌋ jump."""

    def __init__(self):
        self.min_distance = np.inf
        self._orig = ref.warp_clamped

    def __enter__(self):
        def logged(image, flow, scale=ref.WARP_SCALE):
            h, w = image.shape[2:]
            base = torch.stack(torch.meshgrid(torch.arange(w, dtype=flow.dtype), torch.arange(h, dtype=flow.dtype),
                                              indexing="xy"))
            pos = (base.unsqueeze(0) + flow.detach() * scale).numpy()
            self.min_distance = min(self.min_distance, float(np.min(np.abs(pos - np.round(pos)))))
            return self._orig(image, flow, scale)
        ref.warp_clamped = logged
        return self

    def __exit__(self, *exc):
        ref.warp_clamped = self._orig


EMA_STEPS = 5


def ema_start(tensors):
    """The zero-debias state consistent with the stored moving statistics after EMA_STEPS updates."""
    return {k: v.astype(np.float64) * (1 - ref.BN_DECAY ** EMA_STEPS) for k, v in tensors.items()
            if k.endswith("/moving_mean") or k.endswith("/moving_variance")}


def run_step(tensors, frames, target, frames2, dtype):
    net = ref.Eevrsr(tensors, ref.ALL, dtype)
    for k, biased in ema_start(tensors).items():
        net.ema[k] = (torch.from_numpy(biased).to(dtype), EMA_STEPS)
    with PositionLog() as log:
        with torch.no_grad():
            eval_out, _, _ = net.forward(frames.to(dtype))
        net.train()
        out, warped, flow = net.forward(frames.to(dtype))
        total, rest, motion, warp_mse, huber = ref.loss_terms(out, warped, flow, frames.to(dtype), target.to(dtype))
        names = list(net.params)
        gs = torch.autograd.grad(total, [net.params[k] for k in names])
        moving = {k: v.clone() for k, v in net.moving.items()}
        with torch.no_grad():
            net.forward(frames2.to(dtype))
    return dict(net=net, eval_out=eval_out, out=out, warped=warped, flow=flow, total=total, rest=rest, motion=motion,
                warp_mse=warp_mse, huber=huber, grads={k: net.tf_layout(k, g) for k, g in zip(names, gs)},
                moving=moving, moving2=dict(net.moving), min_distance=log.min_distance)


def gradient_deviation(a, b):
    """max over parameters of max |a − b| / max |b|, skipping the biases whose exact gradient is 0 (each feeds
    only training-mode BatchNorms, which remove any constant: conv1, the dense convolutions, conv2)."""
    worst = 0.0
    for k, v in b.items():
        scale = float(v.abs().max())
        if scale < 1e-12:
            continue
        worst = max(worst, float((a[k].double() - v).abs().max()) / scale)
    return worst


def train_case(seed):
    g = np.random.default_rng(seed)
    weights = ref.random_weights(ref.ALL, seed)
    frames, target = smooth_clips(g, 2, 16, 24)
    frames2, _ = smooth_clips(g, 2, 16, 24)
    return weights, frames, target, frames2, run_step(weights, frames, target, frames2, torch.float64)


def main():
    torch.set_num_threads(1)
    warp_case()
    # Where a sample position lies within float rounding of a ⌊·⌋ jump, float32 and float64 can pick different
    # corners: inside the image the value is continuous there but that pixel's flow gradient changes by a second
    # difference of the image, and at the image edge the value itself jumps. Either moves the MC gradients by up
    # to 1e-1 relative (measured by re-taking the floors at positions shifted by ±1e-4 px). float32 puts the
    # positions of this step within ~3e-6 px of float64 (x + 64u near x = 23), so seeds are tried in order until
    # every position of the three forwards is more than 5e-5 px from a jump.
    for seed in range(7000, 7200):
        weights, frames, target, frames2, r = train_case(seed)
        print(f"seed {seed}: closest sample position {r['min_distance']:.1e} px from a floor jump")
        if r["min_distance"] > 5e-5:
            break
    else:
        raise SystemExit("no seed kept the warp positions 5e-5 px away from floor jumps")
    r32 = run_step(weights, frames, target, frames2, torch.float32)
    dev32 = gradient_deviation(r32["grads"], r["grads"])
    print(f"PyTorch float32 gradients: within {dev32:.1e} of float64 (relative to each tensor's max)")
    assert dev32 < 3e-5
    os.makedirs(ROOT, exist_ok=True)
    ref.write_safetensors(os.path.join(ROOT, "train_step_all.safetensors"), weights,
                          {"source": f"tools/golden/eevrsr.py random_weights(all, {seed})"})
    arrays = dict(frames=frames, target=target, frames2=frames2, eval_output=r["eval_out"], output=r["out"],
                  warped=r["warped"], flow=r["flow"], loss_total=r["total"].reshape(1),
                  loss_restoration=r["rest"].reshape(1), loss_motion=r["motion"].reshape(1),
                  loss_warp_mse=r["warp_mse"].reshape(1), loss_smoothness=r["huber"].reshape(1),
                  min_boundary_distance=np.array([r["min_distance"]]), ema_steps=np.array([float(EMA_STEPS)]))
    for k, v in ema_start(weights).items():
        arrays["ema_biased/" + k] = v
    for k, v in r["grads"].items():
        arrays["grad/" + k] = v.detach().numpy().astype(np.float32)
    for k, v in r["moving"].items():
        arrays["moving/" + k] = v
    for k, v in r["moving2"].items():
        arrays["moving2/" + k] = v
    save("train_step_all", **arrays)
    print(f"train_step_all (seed {seed}): total {r['total'].item():.6f} = rest {r['rest'].item():.6f} + motion "
          f"{r['motion'].item():.6f} (warp {r['warp_mse'].item():.6f}, smoothness {r['huber'].item():.6f}); "
          f"|flow|·64 max {r['flow'].abs().max().item() * 64:.2f} px")
    total = sum(os.path.getsize(os.path.join(ROOT, f)) for f in os.listdir(ROOT))
    print(f"fixtures: {total / 1e6:.2f} MB in {ROOT}")


if __name__ == "__main__":
    main()
