#!/usr/bin/env python3
"""Golden values of scikit-image's SSIM, PSNR and MSE for MedMetrics tests.

usage: ssim_reference.py FIXTURES

Pairs (stored as float32 .npy; scikit-image runs on them as float64):
- radiograph: a 96x128 crop of Fixtures/png/nih/images/00000001_000.png and its Pillow
  bicubic x4 down-and-up reconstruction; data_range 255;
- smooth: 64x80 smooth random field in [0, 1] and a noisy copy; data_range 1;
- odd: 37x53 uint12-like values and a shifted copy; data_range 4095;
- flat: a constant 24x24 image and a nearly constant one (variance ~ 0); data_range 255.
Writes FIXTURES/metrics/{name}_x.npy, _y.npy, _map.npy (float64 map) and golden.json with
mssim, psnr, mse, and the mean of the map over a mask (mask_rect) inside the valid region.
"""
import json
import os
import sys

import numpy as np
import skimage
from PIL import Image
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

fx = sys.argv[1]
out = os.path.join(fx, "metrics")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
pairs = {}
img = np.asarray(Image.open(os.path.join(fx, "png/nih/images/00000001_000.png")).convert("L"))[300:396, 400:528]
lr = Image.fromarray(img).resize((32, 24), Image.BICUBIC)
pairs["radiograph"] = (img.astype(np.float32), np.asarray(lr.resize((128, 96), Image.BICUBIC)).astype(np.float32), 255.0)
yy, xx = np.mgrid[0:64, 0:80]
smooth = (0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 5.0) + 0.1 * rng.random((64, 80))).astype(np.float32)
pairs["smooth"] = (smooth, np.clip(smooth + 0.05 * rng.standard_normal(smooth.shape), 0, 1).astype(np.float32), 1.0)
odd = rng.integers(0, 4096, (37, 53)).astype(np.float32)
pairs["odd"] = (odd, np.roll(odd, 1, axis=1), 4095.0)
flat = np.full((24, 24), 200, np.float32)
pairs["flat"] = (flat, flat + (rng.random(flat.shape) < 0.05).astype(np.float32), 255.0)
golden = {"skimage": skimage.__version__, "cases": {}}
for name, (x, y, r) in pairs.items():
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    m, S = structural_similarity(x64, y64, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=r, full=True)
    np.save(os.path.join(out, f"{name}_x.npy"), x)
    np.save(os.path.join(out, f"{name}_y.npy"), y)
    np.save(os.path.join(out, f"{name}_map.npy"), S.astype(np.float64))
    h, w = x.shape
    rect = [6, 7, max(1, w // 2 - 6), max(1, h // 2 - 7)]  # x, y, width, height
    mask = np.zeros(x.shape, bool)
    mask[rect[1]:rect[1] + rect[3], rect[0]:rect[0] + rect[2]] = True
    golden["cases"][name] = {
        "data_range": r, "mssim": float(m),
        "psnr": float(peak_signal_noise_ratio(x64, y64, data_range=r)),
        "mse": float(mean_squared_error(x64, y64)),
        "mask_rect": rect, "ssim_mask": float(S[mask].mean()),
    }
json.dump(golden, open(os.path.join(out, "golden.json"), "w"), indent=1)
print(json.dumps(golden, indent=1))
