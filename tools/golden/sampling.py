"""Golden vectors for the sampling ops (run: /usr/bin/python3 tools/golden/sampling.py).

Writes Fixtures/golden/sampling/<case>.npz. Every case stores its float32-representable inputs, the seed
gradient `grad_out`, the float64 reference output `out` and `grad_<input>` for every differentiable input,
plus integer/float parameter arrays the C# test reads back:
  dcn_*     torchvision.ops.deform_conv2d (DCNv2 with mask, DCNv1 without): x, offset, [mask], weight, [bias];
            params stride, padding, dilation (each [h, w]) and groups.
  grid_*    torch.nn.functional.grid_sample: x, grid; params mode (0 bilinear, 1 nearest),
            padding (0 zeros, 1 border), align (0/1).
  interp_*  torch.nn.functional.interpolate: x; params mode (0 bilinear, 1 bicubic), align (0/1) and either
            size [h, w] or scale [sh, sw] (+ recompute 0/1).
"""
import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

from common import grads, rand, randn, rng, save

GROUP = "sampling"


def f32(t):
    """Rounds a float64 tensor to float32-representable values (kept as float64)."""
    return t.float().double()


def dcn_case(name, seed, n, cin, cout, h, w, k, stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, dg=1,
             use_mask=True, use_bias=True, offset_scale=2.0, integer_offsets=False):
    g = rng(seed)
    kh, kw = k
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    x = randn(g, n, cin, h, w)
    offset = randn(g, n, 2 * dg * kh * kw, oh, ow, scale=offset_scale)
    if integer_offsets:
        # Samples exactly on pixel centres, on the image edge and exactly one pixel outside (−1, H): the
        # delicate positions where torchvision's border rules decide the value and the one-sided derivatives.
        offset = torch.round(offset)
    mask = f32(torch.sigmoid(randn(g, n, dg * kh * kw, oh, ow))) if use_mask else None
    weight = randn(g, cout, cin // groups, kh, kw, scale=0.3)
    bias = randn(g, cout) if use_bias else None
    ins = {"x": x, "offset": offset, "weight": weight}
    if use_mask:
        ins["mask"] = mask
    if use_bias:
        ins["bias"] = bias
    for t in ins.values():
        t.requires_grad_(True)
    out = deform_conv2d(x, offset, weight, bias, stride=stride, padding=padding, dilation=dilation, mask=mask)
    if groups != 1:
        # torchvision infers the weight groups from the weight shape (Cin / weight.shape[1]).
        assert cin // weight.shape[1] == groups
    grad_out = randn(g, *out.shape)
    names = list(ins)
    gs = grads(out, [ins[k] for k in names], grad_out)
    arrays = {k: v for k, v in ins.items()}
    arrays.update({"grad_out": grad_out, "out": out})
    arrays.update({"grad_" + k: gv for k, gv in zip(names, gs)})
    save(GROUP, name, stride=np.array(stride, np.int64), padding=np.array(padding, np.int64),
         dilation=np.array(dilation, np.int64), groups=np.array([groups], np.int64), **arrays)


def grid_case(name, seed, mode, padding, align, n=2, c=3, h=5, w=6, oh=4, ow=7, exact_points=False):
    g = rng(seed)
    x = randn(g, n, c, h, w).requires_grad_(True)
    grid = rand(g, n, oh, ow, 2, low=-1.3, high=1.3)
    if exact_points:
        # Some points exactly on pixel centres / edges (multiples of 0.25 in normalised units).
        q = torch.round(grid * 4) / 4
        grid = torch.where(torch.arange(ow).view(1, 1, ow, 1) % 2 == 0, q, grid)
    grid.requires_grad_(True)
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)
    grad_out = randn(g, *out.shape)
    gx, gg = grads(out, [x, grid], grad_out)
    save(GROUP, name, x=x, grid=grid, grad_out=grad_out, out=out, grad_x=gx, grad_grid=gg,
         mode=np.array([0 if mode == "bilinear" else 1], np.int64),
         padding=np.array([0 if padding == "zeros" else 1], np.int64),
         align=np.array([int(align)], np.int64))


def interp_case(name, seed, mode, align, h, w, size=None, scale=None, recompute=False):
    g = rng(seed)
    x = randn(g, 2, 3, h, w).requires_grad_(True)
    if size is not None:
        out = F.interpolate(x, size=size, mode=mode, align_corners=align)
    else:
        out = F.interpolate(x, scale_factor=scale, mode=mode, align_corners=align, recompute_scale_factor=recompute)
    grad_out = randn(g, *out.shape)
    (gx,) = grads(out, [x], grad_out)
    extra = {"size": np.array(size, np.int64)} if size is not None else \
        {"scale": np.array(scale, np.float64), "recompute": np.array([int(recompute)], np.int64)}
    save(GROUP, name, x=x, grad_out=grad_out, out=out, grad_x=gx,
         mode=np.array([0 if mode == "bilinear" else 1], np.int64), align=np.array([int(align)], np.int64), **extra)


def main():
    torch.set_default_dtype(torch.float64)
    # Deformable convolution: deform groups, convolution groups, stride, dilation, rectangular kernels, with and
    # without mask and bias, and offsets large enough to push samples outside the image.
    dcn_case("dcn_dg1_mask_bias", 1, n=2, cin=4, cout=3, h=6, w=11, k=(3, 3))
    dcn_case("dcn_dg4_mask", 2, n=1, cin=8, cout=4, h=5, w=6, k=(3, 3), dg=4, use_bias=False)
    dcn_case("dcn_groups2_dg2", 3, n=1, cin=8, cout=6, h=5, w=5, k=(3, 3), groups=2, dg=2)
    dcn_case("dcn_groups2_dg4", 4, n=1, cin=8, cout=4, h=5, w=6, k=(3, 3), groups=2, dg=4, offset_scale=3.0)
    dcn_case("dcn_stride2_nomask", 5, n=1, cin=4, cout=4, h=7, w=19, k=(3, 3), stride=(2, 2), dg=2, use_mask=False)
    dcn_case("dcn_rect_dilated", 6, n=1, cin=6, cout=2, h=7, w=6, k=(2, 3), stride=(1, 2), padding=(1, 2),
             dilation=(2, 1), dg=3, use_bias=False)
    dcn_case("dcn_dcnv1_groups3", 7, n=2, cin=6, cout=3, h=4, w=5, k=(3, 3), groups=3, dg=1, use_mask=False,
             use_bias=False)
    dcn_case("dcn_integer_offsets", 8, n=1, cin=4, cout=2, h=5, w=10, k=(3, 3), dg=2, offset_scale=2.5,
             integer_offsets=True)
    dcn_case("dcn_dg16_vimpnet_like", 9, n=1, cin=32, cout=16, h=6, w=9, k=(3, 3), dg=16)

    # grid_sample: every mode × padding × align_corners combination, points outside the image.
    seed = 20
    for mode in ("bilinear", "nearest"):
        for padding in ("zeros", "border"):
            for align in (True, False):
                grid_case(f"grid_{mode}_{padding}_{'align' if align else 'noalign'}", seed, mode, padding, align)
                seed += 1
    grid_case("grid_bilinear_zeros_align_exact", 30, "bilinear", "zeros", True, exact_points=True)
    grid_case("grid_bilinear_border_noalign_exact", 31, "bilinear", "border", False, exact_points=True)
    grid_case("grid_bilinear_zeros_align_c64", 32, "bilinear", "zeros", True, n=1, c=64, h=5, w=6, oh=4, ow=5)
    # Over 2048 output pixels with 2 channels: the input-gradient scatter splits into pixel bands with private
    # accumulators, and the grid gradient into several bands.
    grid_case("grid_bilinear_border_noalign_large", 33, "bilinear", "border", False, n=1, c=2, h=20, w=24, oh=48, ow=48)

    # interpolate: bilinear/bicubic × align_corners × (size up, size down, scale up, scale down).
    seed = 40
    for mode in ("bilinear", "bicubic"):
        for align in (True, False):
            tag = f"{mode}_{'align' if align else 'noalign'}"
            interp_case(f"interp_{tag}_size_up", seed, mode, align, 5, 6, size=(11, 9))
            interp_case(f"interp_{tag}_size_down", seed + 1, mode, align, 9, 11, size=(4, 5))
            interp_case(f"interp_{tag}_scale_up", seed + 2, mode, align, 5, 6, scale=(1.7, 2.0))
            interp_case(f"interp_{tag}_scale_down", seed + 3, mode, align, 7, 9, scale=(0.5, 0.3))
            seed += 4
    # Wide planes: the vertical pass splits columns into bands.
    interp_case("interp_bilinear_align_wide_up", 62, "bilinear", True, 3, 140, size=(5, 150))
    interp_case("interp_bicubic_noalign_wide_down", 63, "bicubic", False, 6, 140, size=(4, 130))
    interp_case("interp_bilinear_noalign_scale_down_recompute", 60, "bilinear", False, 7, 9, scale=(0.5, 0.3),
                recompute=True)
    interp_case("interp_bicubic_noalign_scale_up_recompute", 61, "bicubic", False, 5, 6, scale=(1.7, 2.3),
                recompute=True)


if __name__ == "__main__":
    main()
