#!/usr/bin/env python3
"""SSIM benchmark: MedSR vs scikit-image, side by side in one run, on the same float32 pairs.

usage: ssim_bench.py MEDSR_BENCH WORKDIR [ROUNDS]

Pairs: 512x512 and 1024x1024 float32, a smooth random field in [0, 1] and a noisy copy
(data_range 1), and an 8-bit radiograph-like pair (data_range 255). scikit-image:
structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=R, full=True) on the float32 arrays (its own float32 path) and on float64. MedSR:
`medsr-bench ssim` (map and mean, both cores). Each side makes one untimed call, then the best
of 5 calls per round counts; rounds interleave the two; medians are reported with the ratio,
and the values are compared.
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from skimage.metrics import structural_similarity

bench, work = sys.argv[1:3]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(11)
cases = []
for n in (512, 1024):
    y, x = np.mgrid[0:n, 0:n]
    a = (0.5 + 0.3 * np.sin(x / 9.0) * np.cos(y / 7.0) + 0.1 * rng.random((n, n))).astype(np.float32)
    b = np.clip(a + 0.05 * rng.standard_normal((n, n)), 0, 1).astype(np.float32)
    cases.append((f"{n}x{n} smooth [0,1]", a, b, 1.0))
    g = np.clip(np.round(120 + 60 * np.sin(x / 30.0) + 25 * rng.standard_normal((n, n))), 0, 255).astype(np.float32)
    h = np.clip(np.round(g + 4 * rng.standard_normal((n, n))), 0, 255).astype(np.float32)
    cases.append((f"{n}x{n} 8-bit", g, h, 255.0))


def sk(a, b, r):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=r, full=True)


lines = []
for name, a, b, r in cases:
    pa, pb = os.path.join(work, "ssim_a.npy"), os.path.join(work, "ssim_b.npy")
    np.save(pa, a)
    np.save(pb, b)
    ours, theirs = [], []
    for _ in range(rounds):
        out = subprocess.run([bench, "ssim", "5", str(r), pa, pb], check=True, capture_output=True, text=True).stdout.split()
        ours.append(float(out[0]))
        best = float("inf")
        sk(a, b, r)  # one untimed call first, as medsr-bench does
        for _ in range(5):
            t = time.perf_counter()
            m32, _ = sk(a, b, r)
            best = min(best, time.perf_counter() - t)
        theirs.append(best)
    m64, _ = sk(a.astype(np.float64), b.astype(np.float64), r)
    o, s = statistics.median(ours), statistics.median(theirs)
    lines.append(f"{name:22s} medsr {o * 1000:7.2f} ms   scikit-image {s * 1000:7.2f} ms   speed-up {s / o:5.1f}x (goal >= 20x)   "
                 f"SSIM medsr {float(out[1]):.8f}  skimage f64 {m64:.8f}  f32 {m32:.8f}  |diff vs f64| {abs(float(out[1]) - m64):.1e}")
print("\n".join(lines))
