"""Golden vectors for the convolution / linear / matmul group (run: /usr/bin/python3 tools/golden/conv.py).

Writes tests/Derain.Tensors.Tests/Fixtures/golden/conv/<case>.npz. Convolution cases hold the inputs x, w, b
(empty when there is no bias), the output-gradient seed gy, the references y, dx, dw, db, and the settings as
int arrays (stride, pad_begin, pad_end, dilation, groups, output_padding, same). Matrix cases hold a, b, gy, y,
da, db. References are computed by PyTorch in float64 from float32-representable inputs.

Per-side and TensorFlow 'SAME' padding have no PyTorch conv argument: their references are F.pad followed by
an unpadded convolution, with the SAME amounts computed here from the TensorFlow formula
total = max((ceil(in / stride) - 1) * stride + (k - 1) * dilation + 1 - in, 0), begin = total // 2.
"""
import numpy as np
import torch
import torch.nn.functional as F

from common import randn, rng, save, grads

GROUP = "conv"
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def same_pads(size, kernel, stride, dilation):
    begin, end = [], []
    for n, k, s, d in zip(size, kernel, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin, end


def conv_case(name, seed, x_shape, w_shape, bias=True, stride=None, pad_begin=None, pad_end=None,
              dilation=None, groups=1, same=False):
    g = rng(seed)
    sr = len(x_shape) - 2
    stride = stride or [1] * sr
    dilation = dilation or [1] * sr
    x = randn(g, *x_shape).requires_grad_()
    w = randn(g, *w_shape, scale=0.5).requires_grad_()
    b = randn(g, w_shape[0]).requires_grad_() if bias else None
    if same:
        pad_begin, pad_end = same_pads(x_shape[2:], w_shape[2:], stride, dilation)
    pad_begin = pad_begin or [0] * sr
    pad_end = pad_end or pad_begin
    # F.pad takes (last-dim begin, last-dim end, previous-dim begin, ...).
    flat = []
    for pb, pe in zip(reversed(pad_begin), reversed(pad_end)):
        flat += [pb, pe]
    y = CONV[sr](F.pad(x, flat), w, b, stride=stride, dilation=dilation, groups=groups)
    gy = randn(g, *y.shape)
    dx, dw, db = grads(y, [x, w] + ([b] if bias else []), gy) + ((None,) if not bias else ())
    save(GROUP, name, x=x, w=w, b=b if bias else np.zeros(0), gy=gy, y=y, dx=dx, dw=dw,
         db=db if bias else np.zeros(0), stride=np.array(stride), pad_begin=np.array(pad_begin),
         pad_end=np.array(pad_end), dilation=np.array(dilation), groups=np.array([groups]),
         output_padding=np.zeros(sr, dtype=np.int64), same=np.array([int(same)]))


def conv_transpose_case(name, seed, x_shape, w_shape, groups=1, stride=2, padding=0, output_padding=0, dilation=1, bias=True):
    g = rng(seed)
    sr = len(x_shape) - 2
    x = randn(g, *x_shape).requires_grad_()
    w = randn(g, *w_shape, scale=0.5).requires_grad_()
    b = randn(g, w_shape[1] * groups).requires_grad_() if bias else None
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[sr]
    y = fn(x, w, b, stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    gy = randn(g, *y.shape)
    dx, dw, db = grads(y, [x, w] + ([b] if bias else []), gy) + ((None,) if not bias else ())
    save(GROUP, name, x=x, w=w, b=b if bias else np.zeros(0), gy=gy, y=y, dx=dx, dw=dw,
         db=db if bias else np.zeros(0), stride=np.array([stride] * sr), pad_begin=np.array([padding] * sr),
         pad_end=np.array([padding] * sr), dilation=np.array([dilation] * sr), groups=np.array([groups]),
         output_padding=np.array([output_padding] * sr), same=np.array([0]))


def linear_case(name, seed, x_shape, out_features, bias=True):
    g = rng(seed)
    x = randn(g, *x_shape).requires_grad_()
    w = randn(g, out_features, x_shape[-1], scale=0.5).requires_grad_()
    b = randn(g, out_features).requires_grad_() if bias else None
    y = F.linear(x, w, b)
    gy = randn(g, *y.shape)
    dx, dw, db = grads(y, [x, w] + ([b] if bias else []), gy) + ((None,) if not bias else ())
    save(GROUP, name, x=x, w=w, b=b if bias else np.zeros(0), gy=gy, y=y, dx=dx, dw=dw, db=db if bias else np.zeros(0))


def matmul_case(name, seed, a_shape, b_shape, fn=torch.matmul):
    g = rng(seed)
    a = randn(g, *a_shape).requires_grad_()
    b = randn(g, *b_shape).requires_grad_()
    y = fn(a, b)
    gy = randn(g, *y.shape)
    da, db = grads(y, [a, b], gy)
    save(GROUP, name, a=a, b=b, gy=gy, y=y, da=da, db=db)


def main():
    conv_case("conv2d_basic", 1, [2, 3, 8, 7], [4, 3, 3, 3], pad_begin=[1, 1])
    conv_case("conv2d_stride_dilation_groups", 2, [1, 4, 9, 10], [6, 2, 3, 3], stride=[2, 1],
              pad_begin=[1, 2], dilation=[2, 1], groups=2)
    conv_case("conv2d_same_k7_s2", 3, [1, 2, 10, 12], [3, 2, 7, 7], stride=[2, 2], same=True)
    conv_case("conv2d_same_k3_s1_dilation2", 4, [1, 3, 7, 6], [2, 3, 3, 3], dilation=[2, 2], same=True, bias=False)
    conv_case("conv2d_asymmetric", 5, [2, 2, 6, 7], [3, 2, 3, 2], pad_begin=[2, 0], pad_end=[0, 1])
    conv_case("conv2d_pointwise", 6, [2, 5, 6, 6], [7, 5, 1, 1])
    conv_case("conv2d_depthwise", 7, [1, 4, 7, 7], [4, 1, 3, 3], stride=[2, 2], pad_begin=[1, 1], groups=4)
    conv_case("conv1d", 8, [2, 3, 20], [4, 3, 5], stride=[2], pad_begin=[2], dilation=[2])
    conv_case("conv1d_same", 9, [1, 2, 11], [3, 2, 4], stride=[3], same=True)
    conv_case("conv3d", 10, [1, 2, 5, 6, 7], [4, 2, 3, 3, 3], stride=[1, 2, 2], pad_begin=[1, 1, 1])
    conv_case("conv3d_groups", 11, [2, 4, 4, 5, 5], [4, 2, 1, 3, 3], pad_begin=[0, 1, 1], groups=2, bias=False)
    conv_transpose_case("conv_transpose2d", 12, [2, 4, 5, 6], [4, 3, 4, 4], stride=2, padding=1)
    conv_transpose_case("conv_transpose2d_output_padding_groups", 13, [1, 4, 5, 5], [4, 2, 3, 3],
                        groups=2, stride=2, padding=1, output_padding=1)
    conv_transpose_case("conv_transpose2d_dilation", 14, [1, 3, 4, 5], [3, 2, 3, 3], stride=2, padding=2,
                        output_padding=1, dilation=2, bias=False)
    linear_case("linear", 15, [3, 5, 16], 12)
    linear_case("linear_no_bias", 16, [7, 9], 4, bias=False)
    matmul_case("matmul_2d", 17, [13, 17], [17, 11])
    matmul_case("matmul_broadcast", 18, [2, 1, 5, 6], [3, 6, 4])
    matmul_case("matmul_vector_matrix", 19, [6], [2, 6, 3])
    matmul_case("bmm", 20, [4, 5, 6], [4, 6, 7], fn=torch.bmm)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main()
