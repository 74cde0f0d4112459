"""Golden vectors for MGID's BSW loss and its 1-D k-means (run: /usr/bin/python3 tools/golden/mgid_loss.py).

Written from the spec (../shared/docs/networks/mgid.md, "BSW") as an independent reference: the k-means here is the
textbook exact dynamic programme over sorted values, evaluated densely (every start of the last cluster for every
prefix, O(k n^2), vectorised in blocks), not the divide-and-conquer of Derain.Models.Mgid.KMeans1D; the loss is
plain torch in float64. Inputs are float32-representable.

Writes tests/Derain.Models.Tests/Fixtures/mgid_loss/:
  kmeans.npz        values_a [3000] (log-normal, heavy tailed like covariance variances), sizes_a [50];
                    values_b [60] with k 50 (nearly one value per cluster), sizes_b [50];
                    values_c [400] with runs of equal values, sizes_c [50]. sizes_* = optimal cluster sizes, ascending.
  bsw_separated.npz q1, q2 [2,64,8,8]: the frames' covariances are P_b + 1e-5 I and P_b + E_b + 1e-5 I exactly up to
                    float32 rounding of q (P_b random SPD, E_b symmetric with 40 pairs per sample), so the element
                    variance is 0 except on the 160 elements of the E pairs, whose 80 levels 0.004 + 1e-4 k lie far
                    above 0: every correct 50-means puts exactly the 8032 near-zero elements in cluster 0.
                    mask [2,64,64], insensitive [1], mask_count [1], loss [1], grad_q1, grad_q2 (mask held fixed).
  bsw_random.npz    q1 [2,64,6,10] normal, q2 = q1 + 0.5 normal: a generic case; same keys.
Definitions (ISW_loss.py semantics): cov = q q^T/(HW-1) + 1e-5 I per sample; var = element-wise variance of the two
covariances (population, two samples); 50-means on var flattened over the batch; mask = upper triangle (diagonal
included) of the elements of the lowest cluster; loss = (sum|cov1*mask| + sum|cov2*mask|) / count(mask) / B.
"""
import os

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "tests", "Derain.Models.Tests", "Fixtures", "mgid_loss")
CLUSTERS = 50


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def optimal_sizes(values, k):
    """Sizes of the optimal 1-D k-means clusters, ascending, by the dense DP."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    k = min(k, n)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def sse(j, i):  # values j..i inclusive (broadcast), j <= i
        cnt = i - j + 1
        s = s1[i + 1] - s1[j]
        return (s2[i + 1] - s2[j]) - s * s / cnt

    best = sse(0, np.arange(n))  # one cluster over each prefix
    starts = [np.zeros(n, dtype=np.int64)]
    block = 256
    for m in range(1, k):
        nxt = np.full(n, np.inf)
        st = np.zeros(n, dtype=np.int64)
        for i0 in range(m, n, block):
            i = np.arange(i0, min(n, i0 + block))[:, None]
            j = np.arange(m, min(n, i0 + block))[None, :]
            c = np.where(j <= i, best[np.maximum(j - 1, 0)] + sse(np.minimum(j, i), i), np.inf)
            a = np.argmin(c, axis=1)
            nxt[i[:, 0]] = c[np.arange(len(a)), a]
            st[i[:, 0]] = j[0, a]
        best = nxt
        starts.append(st)
    sizes = np.zeros(k, dtype=np.int64)
    last = n - 1
    for m in range(k - 1, -1, -1):
        first = starts[m][last] if m > 0 else 0
        sizes[m] = last - first + 1
        last = first - 1
    assert last == -1 and sizes.sum() == n
    return sizes


def covariance(q):
    b, c, h, w = q.shape
    f = q.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (h * w - 1) + 1e-5 * torch.eye(c, dtype=q.dtype)


def bsw(q1, q2, sizes=optimal_sizes):
    """The BSW loss; `sizes(values, k)` gives the optimal cluster sizes (tools/bench passes a faster exact solver)."""
    cov1, cov2 = covariance(q1), covariance(q2)
    b, c, _ = cov1.shape
    var = ((cov1 - cov2) / 2).square().detach().numpy().reshape(-1)
    n0 = int(sizes(var, CLUSTERS)[0])
    order = np.argsort(var, kind="stable")
    low = np.zeros(var.size)
    low[order[:n0]] = 1
    mask = torch.triu(torch.from_numpy(low.reshape(b, c, c)))
    count = mask.sum()
    loss = ((cov1 * mask).abs().sum() + (cov2 * mask).abs().sum()) / count / b
    return loss, mask, n0, int(count.item())


def case(name, q1, q2, **extra):
    q1 = torch.from_numpy(q1).requires_grad_(True)
    q2 = torch.from_numpy(q2).requires_grad_(True)
    loss, mask, n0, count = bsw(q1, q2)
    g1, g2 = torch.autograd.grad(loss, [q1, q2])
    save(name, q1=q1, q2=q2, mask=mask, insensitive=np.array([n0], dtype=np.float64),
         mask_count=np.array([count], dtype=np.float64), loss=loss.reshape(1), grad_q1=g1, grad_q2=g2, **extra)
    print(f"{name}: loss {loss.item():.9g}, cluster 0 {n0}, mask {count}")


def separated(g):
    b, c, h, w = 2, 64, 8, 8
    hw = h * w
    q1 = np.zeros((b, c, h, w))
    q2 = np.zeros((b, c, h, w))
    levels = 0.004 + 1e-4 * np.arange(80)
    for s in range(b):
        o, _ = np.linalg.qr(g.standard_normal((hw, hw)))  # orthonormal rows
        basis = o.T[:c] * np.sqrt(hw - 1)                  # basis basis^T / (hw-1) = I
        wmat = g.standard_normal((c, c))
        p = wmat @ wmat.T / c + 0.5 * np.eye(c)
        e = np.zeros((c, c))
        perm = g.permutation(c)
        for k in range(40):  # pairs (perm[k], perm[k+24]) use every index at most twice
            i, j = perm[k % c], perm[(k + 24) % c]
            e[i, j] = e[j, i] = 2 * np.sqrt(levels[2 * k + s])
        q1[s] = (np.linalg.cholesky(p) @ basis).reshape(c, h, w)
        q2[s] = (np.linalg.cholesky(p + e) @ basis).reshape(c, h, w)
    case("bsw_separated", f32(q1), f32(q2))


def save(name, **arrays):
    os.makedirs(ROOT, exist_ok=True)
    out = {}
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy()
        v = np.ascontiguousarray(v)
        out[k] = v.astype(np.float64) if v.dtype.kind == "f" else v
    np.savez(os.path.join(ROOT, name + ".npz"), **out)


def main():
    g = np.random.default_rng(20220106)
    values_a = f32(np.exp(g.standard_normal(3000) * 2 - 9))
    values_b = f32(g.uniform(0, 1, 60))
    values_c = f32(np.repeat(g.uniform(0, 1, 80), g.integers(1, 9, 80)))
    save("kmeans", values_a=values_a, sizes_a=optimal_sizes(values_a, CLUSTERS),
         values_b=values_b, sizes_b=optimal_sizes(values_b, CLUSTERS),
         values_c=values_c, sizes_c=optimal_sizes(values_c, CLUSTERS))
    separated(g)
    q1 = f32(g.standard_normal((2, 64, 6, 10)))
    case("bsw_random", q1, f32(q1 + 0.5 * g.standard_normal(q1.shape)))


if __name__ == "__main__":
    main()
