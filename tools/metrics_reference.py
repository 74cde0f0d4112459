#!/usr/bin/python3
"""Independent PSNR/SSIM reference for Derain's metric conventions (numpy only).

Written from the published formulas (docs/metrics.md in the shared docs), not from the C# code:
  * inputs are uint8 (decoded here by ffmpeg, a decoder independent of Derain's libpng/TurboJPEG path);
  * rgb    : PSNR over all samples of the three channels; SSIM per channel, averaged;
  * y      : MATLAB rgb2ycbcr luma for uint8 images, returned as uint8 (imlincomb rounds half away from zero);
  * y-full : OpenCV cvtColor(RGB2YCrCb) luma for uint8, its 14-bit fixed-point form of 0.299R + 0.587G + 0.114B;
  * SSIM   : Wang et al. 2004 / MATLAB ssim_index.m - 11x11 Gaussian window (sigma 1.5) applied as a full 2-D
             window (not separably), 'valid' region, C1 = (0.01*255)^2, C2 = (0.03*255)^2, float64, mean of map;
  * crop   : crop_border pixels removed from each side before both metrics.

The degraded copies are made by a fixed integer formula (degrade() below) that the C# tests repeat exactly.

Usage: tools/metrics_reference.py [OUTPUT.json]   (default: tests/Derain.Data.Tests/Fixtures/metrics/reference.json)
"""
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("DERAIN_SHARED") or os.path.join(REPO, "..", "shared")
DATA = os.path.join(SHARED, "data")


def decode(relative, gray=False):
    """uint8 array H x W x C decoded by ffmpeg."""
    path = os.path.join(DATA, relative)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout.strip()
    width, height = (int(v) for v in probe.split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "gray" if gray else "rgb24", "-"], check=True, capture_output=True).stdout
    channels = 1 if gray else 3
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, channels)


def degrade(img):
    """A deterministic degradation: hashed noise in [-16, 15] plus bright streaks on lines i + 3j = 0 (mod 17)."""
    h, w, c = img.shape
    i, j, k = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64), np.arange(c, dtype=np.uint64),
                          indexing="ij")
    mixed = ((i * 131 + j * 71 + k * 29) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    noise = (mixed >> np.uint64(27)).astype(np.int64) - 16
    out = img.astype(np.int64) + noise
    streak = ((i + 3 * j) % np.uint64(17)) == 0
    out = np.where(streak, out + 60, out)
    return np.clip(out, 0, 255).astype(np.uint8)


def to_planes(img, convention):
    """The uint8 planes a convention measures, as float64 arrays H x W x P."""
    if img.shape[2] == 1 or convention == "rgb":
        return img.astype(np.float64)
    r, g, b = (img[:, :, ch].astype(np.float64) for ch in range(3))
    if convention == "y":
        # MATLAB: T = origT / 255 with origT(1,:) = [65.481 128.553 24.966], offset 16, in double, then uint8.
        y = (65.481 / 255) * r + (128.553 / 255) * g + (24.966 / 255) * b + 16
        y = np.floor(y + 0.5)  # round half away from zero (all values positive)
    elif convention == "y-full":
        ri, gi, bi = (img[:, :, ch].astype(np.int64) for ch in range(3))
        y = (ri * 4899 + gi * 9617 + bi * 1868 + (1 << 13)) >> 14
    else:
        raise ValueError(convention)
    return np.clip(y, 0, 255).astype(np.uint8).astype(np.float64)[:, :, None]


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 20 * np.log10(255.0 / np.sqrt(mse))


def gaussian_window():
    x = np.arange(11) - 5
    xx, yy = np.meshgrid(x, x, indexing="ij")
    g = np.exp(-(xx ** 2 + yy ** 2) / (2 * 1.5 ** 2))  # fspecial('gaussian', 11, 1.5)
    return g / g.sum()


def filter_valid(img, window):
    """2-D correlation keeping only positions where the whole window fits (MATLAB filter2(..., 'valid'))."""
    oh, ow = img.shape[0] - 10, img.shape[1] - 10
    out = np.zeros((oh, ow))
    for dy in range(11):
        for dx in range(11):
            out += window[dy, dx] * img[dy:dy + oh, dx:dx + ow]
    return out


def ssim_plane(a, b):
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    w = gaussian_window()
    mu1, mu2 = filter_valid(a, w), filter_valid(b, w)
    s1 = filter_valid(a * a, w) - mu1 ** 2
    s2 = filter_valid(b * b, w) - mu2 ** 2
    s12 = filter_valid(a * b, w) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))
    return ssim_map.mean()


def score(pred, gt, convention, crop):
    a, b = to_planes(pred, convention), to_planes(gt, convention)
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    return psnr(a, b), float(np.mean([ssim_plane(a[:, :, p], b[:, :, p]) for p in range(a.shape[2])]))


# Pairs: (name, prediction, ground truth, conventions, crop). "degrade:" predictions are degrade(ground truth).
RAINDROP = "pairs/raindrop_examples"
CASES = [
    ("raindrop_0", f"{RAINDROP}/rain/0_rain.png", f"{RAINDROP}/clean/0_clean.png", ["rgb", "y", "y-full"], 0),
    ("raindrop_1", f"{RAINDROP}/rain/1_rain.png", f"{RAINDROP}/clean/1_clean.png", ["rgb", "y", "y-full"], 0),
    ("raindrop_2", f"{RAINDROP}/rain/2_rain.png", f"{RAINDROP}/clean/2_clean.png", ["rgb", "y", "y-full"], 0),
    ("raindrop_3", f"{RAINDROP}/rain/3_rain.png", f"{RAINDROP}/clean/3_clean.png", ["rgb", "y", "y-full"], 0),
    ("raindrop_3_crop4", f"{RAINDROP}/rain/3_rain.png", f"{RAINDROP}/clean/3_clean.png", ["rgb", "y"], 4),
    ("city_1", "degrade:", "clean/video/vid4_city/Frame_001.png", ["rgb", "y", "y-full"], 0),
    ("city_2", "degrade:", "clean/video/vid4_city/Frame_002.png", ["rgb", "y"], 0),
    ("city_3", "degrade:", "clean/video/vid4_city/Frame_003.png", ["rgb", "y"], 0),
    ("walk_1", "degrade:", "clean/video/vid4_walk/Frame_01.png", ["rgb", "y"], 0),
    ("walk_2", "degrade:", "clean/video/vid4_walk/Frame_02.png", ["rgb", "y"], 0),
    ("basketball_gray", "degrade:", "clean/photo/opencv/basketball1.png", ["rgb", "y", "y-full"], 0),
]


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "tests", "Derain.Data.Tests", "Fixtures", "metrics", "reference.json")
    results = []
    for name, pred_spec, gt_path, conventions, crop in CASES:
        gray = "gray" in name
        gt = decode(gt_path, gray)
        pred = degrade(gt) if pred_spec == "degrade:" else decode(pred_spec, gray)
        for convention in conventions:
            p, s = score(pred, gt, convention, crop)
            results.append({"name": name, "prediction": pred_spec, "groundTruth": gt_path, "convention": convention,
                            "crop": crop, "psnr": p, "ssim": s})
            print(f"{name:18s} {convention:6s} crop {crop}: PSNR {p:.4f} dB  SSIM {s:.6f}", file=sys.stderr)
    # Video protocol check: mean per video first, then across videos (rgb convention).
    videos = {}
    for r in results:
        if r["convention"] == "rgb" and r["name"].split("_")[0] in ("city", "walk"):
            videos.setdefault(r["name"].split("_")[0], []).append((r["psnr"], r["ssim"]))
    per_video = {v: (float(np.mean([p for p, _ in s])), float(np.mean([q for _, q in s]))) for v, s in videos.items()}
    dataset = (float(np.mean([p for p, _ in per_video.values()])), float(np.mean([s for _, s in per_video.values()])))
    with open(output, "w") as f:
        json.dump({"generator": "tools/metrics_reference.py", "cases": results,
                   "videos": {v: {"psnr": p, "ssim": s} for v, (p, s) in per_video.items()},
                   "dataset": {"psnr": dataset[0], "ssim": dataset[1]}}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
