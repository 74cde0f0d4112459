"""Golden vectors for Derain.Data.Imaging.YCbCr: Pillow's 8-bit YCbCr conversions and the float JFIF inverse.

Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy; no torch needed):
    /usr/bin/python3 tools/golden/ycbcr.py
writes tests/Derain.Data.Tests/Fixtures/ycbcr/ycbcr.npz with
  rgb_in [N,3] u8  -> ycbcr_pil [N,3] u8     Image.fromarray(rgb).convert("YCbCr")
  ycbcr_in [M,3] u8 -> rgb_pil [M,3] u8      Image.merge("YCbCr", planes).convert("RGB")
  float_y [K] f8, float_cbcr [P,2] u8 -> float_rgb [P,K,3] f8   the JFIF inverse in float64 on the [0,1] scale
The 8-bit samples are a seeded random draw (~20k each way) plus edge cases (every gray, every single-channel sweep,
the cube's corners; for the inverse, every Y with extreme and neutral chroma). Before writing, the script checks the
rule Derain uses to rebuild Pillow's lookup tables -- entry k = (int)(c * 64 * (k - offset) + 0.5), truncated
towards zero, sums shifted right by 6 -- against Pillow on all 256^3 inputs in both directions and stops if any
differ, so the sampled fixture stands for the whole cube.
"""
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "tests", "Derain.Data.Tests", "Fixtures", "ycbcr")
SEED = 20251122


def pil_to_ycbcr(rgb):
    """rgb [N,3] uint8 -> Pillow's YCbCr [N,3] uint8."""
    img = Image.fromarray(np.ascontiguousarray(rgb.reshape(1, -1, 3)), "RGB")
    return np.asarray(img.convert("YCbCr")).reshape(-1, 3)


def pil_to_rgb(ycc):
    """ycbcr [N,3] uint8 -> Pillow's RGB [N,3] uint8 (merge of three L planes, as EEVRSR's test_main.py does)."""
    planes = [Image.fromarray(np.ascontiguousarray(ycc[:, c].reshape(1, -1)), "L") for c in range(3)]
    return np.asarray(Image.merge("YCbCr", planes).convert("RGB")).reshape(-1, 3)


def table(coefficient, offset):
    k = np.arange(256, dtype=np.float64)
    return np.trunc(coefficient * 64.0 * (k - offset) + 0.5).astype(np.int64)


def rule_to_ycbcr(rgb):
    r, g, b = (rgb[:, c].astype(np.int64) for c in range(3))
    y = (table(0.299, 0)[r] + table(0.587, 0)[g] + table(0.114, 0)[b]) >> 6
    cb = ((table(-0.16874, 0)[r] + table(-0.33126, 0)[g] + table(0.5, 0)[b]) >> 6) + 128
    cr = ((table(0.5, 0)[r] + table(-0.41869, 0)[g] + table(-0.08131, 0)[b]) >> 6) + 128
    out = np.stack([y, cb, cr], 1)
    assert out.min() >= 0 and out.max() <= 255, "forward sums leave 0..255"
    return out.astype(np.uint8)


def rule_to_rgb(ycc):
    y, cb, cr = (ycc[:, c].astype(np.int64) for c in range(3))
    r = y + (table(1.402, 128)[cr] >> 6)
    g = y + ((table(-0.34414, 128)[cb] + table(-0.71414, 128)[cr]) >> 6)
    b = y + (table(1.772, 128)[cb] >> 6)
    return np.clip(np.stack([r, g, b], 1), 0, 255).astype(np.uint8)


def float_inverse(y, cbcr):
    """y [K] float64 on [0,1], cbcr [P,2] uint8 -> [P,K,3] float64 on [0,1]."""
    u = cbcr[:, 0].astype(np.float64)[:, None] / 255.0 - 128.0 / 255.0
    v = cbcr[:, 1].astype(np.float64)[:, None] / 255.0 - 128.0 / 255.0
    yy = y[None, :]
    return np.stack([yy + 1.402 * v, yy - 0.34414 * u - 0.71414 * v, yy + 1.772 * u], -1)


def check_whole_cube():
    cube = np.stack(np.meshgrid(np.arange(256), np.arange(256), np.arange(256), indexing="ij"), -1)
    cube = cube.reshape(-1, 3).astype(np.uint8)
    forward_bad = int(np.any(pil_to_ycbcr(cube) != rule_to_ycbcr(cube), axis=1).sum())
    inverse_bad = int(np.any(pil_to_rgb(cube) != rule_to_rgb(cube), axis=1).sum())
    print(f"table rule vs Pillow on all 256^3: forward {forward_bad} differ, inverse {inverse_bad} differ")
    if forward_bad or inverse_bad:
        raise SystemExit("the table rule does not reproduce Pillow; fix the rule before writing a fixture")
    # The float inverse stays within one code value of Pillow's integer inverse on every 8-bit input.
    y = cube[:, 0].astype(np.float64) / 255.0
    u = cube[:, 1].astype(np.float64) / 255.0 - 128.0 / 255.0
    v = cube[:, 2].astype(np.float64) / 255.0 - 128.0 / 255.0
    f = np.stack([y + 1.402 * v, y - 0.34414 * u - 0.71414 * v, y + 1.772 * u], 1)
    rounded = np.clip(np.round(f * 255.0), 0, 255)
    worst = np.abs(rounded - pil_to_rgb(cube).astype(np.float64)).max()
    print(f"float inverse rounded vs Pillow's integer inverse: max {worst:.0f} code value(s)")


def edges():
    k = np.arange(256)
    z, f = np.zeros(256, np.int64), np.full(256, 255)
    rows = [np.stack([k, k, k], 1)]
    for c in range(3):
        for other in (z, f):
            cols = [other, other, other]
            cols[c] = k
            rows.append(np.stack(cols, 1))
    corners = np.array([[a, b, c] for a in (0, 255) for b in (0, 255) for c in (0, 255)])
    rows.append(corners)
    return np.concatenate(rows).astype(np.uint8)


def inverse_edges():
    k = np.arange(256)
    rows = []
    for cb in (0, 1, 127, 128, 129, 254, 255):
        for cr in (0, 1, 127, 128, 129, 254, 255):
            rows.append(np.stack([k, np.full(256, cb), np.full(256, cr)], 1))
    return np.concatenate(rows).astype(np.uint8)


def main():
    check_whole_cube()
    g = np.random.default_rng(SEED)
    rgb_in = np.concatenate([edges(), g.integers(0, 256, (20000, 3))]).astype(np.uint8)
    ycbcr_in = np.concatenate([inverse_edges(), g.integers(0, 256, (20000, 3))]).astype(np.uint8)
    # Float inverse: the whole 8-bit Y range, values between codes and outside [0,1] (a network's raw output),
    # crossed with sampled chroma pairs plus the extremes.
    float_y = np.concatenate([np.arange(256) / 255.0, [-0.25, -1e-3, 0.5 / 255.0, 0.123456789, 1.0 + 1e-3, 1.3]])
    float_y = float_y.astype(np.float32).astype(np.float64)  # Derain's luma is float32
    cbcr = np.concatenate([[[0, 0], [0, 255], [255, 0], [255, 255], [128, 128]], g.integers(0, 256, (27, 2))]).astype(np.uint8)
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "ycbcr.npz"),
                        rgb_in=rgb_in, ycbcr_pil=pil_to_ycbcr(rgb_in),
                        ycbcr_in=ycbcr_in, rgb_pil=pil_to_rgb(ycbcr_in),
                        float_y=float_y, float_cbcr=cbcr, float_rgb=float_inverse(float_y, cbcr))
    print(f"wrote {os.path.normpath(os.path.join(OUT, 'ycbcr.npz'))}: {len(rgb_in)} forward, {len(ycbcr_in)} inverse, "
          f"{len(float_y)}x{len(cbcr)} float")


if __name__ == "__main__":
    main()
