#!/usr/bin/env python3
"""Non-local means benchmark: MedSR vs scikit-image, side by side in one run, on the same image.

usage: nlm_bench.py MEDSR_BENCH WORKDIR [ROUNDS]

Image: skimage.data.camera() (512x512, 8-bit) as float32 in [0, 1] plus Gaussian noise of
sigma 0.08 (numpy default_rng(18)), not clipped. Both run denoise_nl_means(patch_size=7,
patch_distance=11, h=0.08, sigma=0.08, fast_mode=True) (scikit-image's defaults for patch size
and distance) and a smaller search (5, 6, h=0.08, sigma=0.08), on the float32 array (scikit-image
computes in float64 inside). MedSR: `medsr-bench nlm` (all cores unless MEDSR_THREADS is set).
Each side makes one untimed call, then the best of REPEAT calls per round counts; rounds
interleave the two (the machine's speed drifts); medians and their ratio are printed with the
largest absolute difference between the two outputs.
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from skimage import data
from skimage.restoration import denoise_nl_means

bench, work = sys.argv[1:3]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(work, exist_ok=True)
clean = data.camera().astype(np.float64) / 255
x = (clean + np.random.default_rng(18).normal(0, 0.08, clean.shape)).astype(np.float32)
path_in, path_out = os.path.join(work, "nlm_in.npy"), os.path.join(work, "nlm_out.npy")
np.save(path_in, x)
threads = os.environ.get("MEDSR_THREADS", str(os.cpu_count()))
for patch, dist, h, sigma, repeat in [(7, 11, 0.08, 0.08, 1), (5, 6, 0.08, 0.08, 3)]:
    ours, theirs = [], []
    for _ in range(rounds):
        out = subprocess.run([bench, "nlm", str(repeat), str(patch), str(dist), str(h), str(sigma), path_in, path_out],
                             check=True, capture_output=True, text=True).stdout.split()
        ours.append(float(out[0]))
        kwargs = dict(patch_size=patch, patch_distance=dist, h=h, sigma=sigma, fast_mode=True)
        ref = denoise_nl_means(x, **kwargs)  # one untimed call first, as medsr-bench does
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            ref = denoise_nl_means(x, **kwargs)
            best = min(best, time.perf_counter() - t)
        theirs.append(best)
    diff = float(np.abs(np.load(path_out).astype(np.float64) - ref.astype(np.float64)).max())
    o, s = statistics.median(ours), statistics.median(theirs)
    print(f"512x512 camera, patch {patch} distance {dist} h {h} sigma {sigma}: medsr {o:.3f} s ({threads} threads)   "
          f"scikit-image {s:.3f} s (1 thread)   speed-up {s / o:.1f}x   max |diff| {diff:.1e}")
