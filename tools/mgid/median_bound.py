"""What a self-supervised MGID could reach on a time-lapse validation set: PSNR (Y, MATLAB rgb2ycbcr, 8-bit scale)
against ground truth of each rainy frame (the input) and of the scene's per-pixel temporal median and minimum over
its rainy frames. The median is the value the L1 terms between one frame's output and another rainy frame of the
scene pull towards (rain is sparse and additive), so it bounds what the loss teaches, not what the network reaches.
Usage: /usr/bin/python3 tools/mgid/median_bound.py data/mgid/val     (numpy + Pillow; a development check only)"""
import os
import sys

import numpy as np
from PIL import Image


def luma(a):
    a = a.astype(np.float64)
    return 16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255


def psnr(a, b):
    return 10 * np.log10(255 ** 2 / np.mean((luma(a) - luma(b)) ** 2))


def main(root):
    rows = []
    for scene in sorted(os.listdir(f"{root}/lq")):
        names = sorted(os.listdir(f"{root}/lq/{scene}"))
        rainy = np.stack([np.array(Image.open(f"{root}/lq/{scene}/{n}").convert("RGB")) for n in names])
        clean = np.array(Image.open(f"{root}/gt/{scene}/{names[0]}").convert("RGB"))
        row = (np.mean([psnr(r, clean) for r in rainy]), psnr(np.median(rainy, axis=0), clean), psnr(rainy.min(axis=0), clean))
        rows.append(row)
        print(f"{scene:28s} input {row[0]:6.2f}  median {row[1]:6.2f}  min {row[2]:6.2f}")
    mean = np.mean(rows, axis=0)
    print(f"{'mean over scenes':28s} input {mean[0]:6.2f}  median {mean[1]:6.2f}  min {mean[2]:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/mgid/val")
