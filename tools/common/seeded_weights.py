"""The deterministic weights of the fixtures in ../shared/fixtures/mgid and ../shared/fixtures/vimpnet (their READMEs
give the recipe), shared by the PyTorch references in tools/mgid and tools/vimpnet.

Element i of a tensor named `name` draws u = (splitmix64(fnv1a64(name) + i) >> 40) / 2^24, a float64 in [0, 1); each
fixture then maps u to c + s * (2u - 1) with its own per-name constants. Vectorised with numpy's wrapping uint64
arithmetic; Derain's C# side (tests) implements the same recipe independently.
"""
import numpy as np


def fnv1a64(text):
    """64-bit FNV-1a of the UTF-8 bytes of `text`."""
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def uniform(name, n):
    """The n float64 draws u_0 .. u_{n-1} of the tensor `name`."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(name)) + np.arange(n, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / 16777216.0


def centred(name, shape, c, s):
    """c + s * (2u - 1) as float32 of `shape`."""
    n = int(np.prod(shape)) if len(shape) else 1
    return (c + s * (2.0 * uniform(name, n) - 1.0)).astype(np.float32).reshape(shape)
