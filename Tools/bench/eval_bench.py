#!/usr/bin/env python3
"""Plain-file evaluation: `medsr evaluate --pred DIR --ref DIR --mask DIR` vs scikit-image in a
Python loop over the same files, whole process (start-up, decoding, metrics, CSV), side by side.

usage: eval_bench.py MEDSR WORKDIR [ROUNDS] [FILES]

Files: FILES (default 24) 1024x1024 8-bit grey PNG triplets made from scikit-image's data images
(camera, moon, astronaut, coffee, chelsea, ihc, brick, coins, enlarged by Pillow's bicubic):
ref, pred = ref blurred (Gaussian σ 1) plus noise σ 4, mask = a disc (0/255). The Python peer, run
as its own process: for each file, skimage.io.imread of the three files, structural_similarity
(Gaussian σ 1.5, population covariance, data_range 255, full map), peak_signal_noise_ratio, the
MSE, and the SSIM map's means inside and outside the mask without the 5-pixel border (what
MedSR's CSV holds), then a CSV.
Rounds alternate the two programs; medians, the range of the per-round ratio, and the largest
difference between the two CSVs' PSNR and SSIM columns are printed.
"""
import csv
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import data

medsr, work = sys.argv[1:3]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
files = int(sys.argv[4]) if len(sys.argv) > 4 else 24
dirs = {k: os.path.join(work, k) for k in ("pred", "ref", "mask")}
for d in dirs.values():
    os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(4)
sources = [data.camera(), data.moon(), data.astronaut(), data.coffee(), data.chelsea(), data.immunohistochemistry(),
           data.brick(), data.coins()]
yy, xx = np.mgrid[0:1024, 0:1024]
for i in range(files):
    src = Image.fromarray(sources[i % len(sources)]).convert("L").resize((1024, 1024), Image.BICUBIC)
    ref = np.asarray(src, dtype=np.float64)
    pred = np.clip(np.round(ndimage.gaussian_filter(ref, 1.0) + rng.normal(0, 4, ref.shape)), 0, 255).astype(np.uint8)
    cx, cy, r = rng.integers(300, 724), rng.integers(300, 724), rng.integers(80, 250)
    mask = (((xx - cx) ** 2 + (yy - cy) ** 2) <= r * r).astype(np.uint8) * 255
    name = f"img{i:03d}.png"
    Image.fromarray(ref.astype(np.uint8)).save(os.path.join(dirs["ref"], name))
    Image.fromarray(pred).save(os.path.join(dirs["pred"], name))
    Image.fromarray(mask).save(os.path.join(dirs["mask"], name))

PEER = r'''
import csv, os, sys
import numpy as np
from skimage import io
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
pred_dir, ref_dir, mask_dir, out = sys.argv[1:5]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "psnr", "ssim", "mse", "ssim_mask", "ssim_background"])
    for name in sorted(os.listdir(pred_dir)):
        p = io.imread(os.path.join(pred_dir, name)).astype(np.float64)
        r = io.imread(os.path.join(ref_dir, name)).astype(np.float64)
        m = io.imread(os.path.join(mask_dir, name)) != 0
        ssim, smap = structural_similarity(r, p, data_range=255, gaussian_weights=True, sigma=1.5,
                                           use_sample_covariance=False, full=True)
        mse = float(np.mean((r - p) ** 2))
        inner = np.zeros_like(m)
        inner[5:-5, 5:-5] = True  # the 5-pixel border where the 11x11 window does not fit (left out of the mean too)
        w.writerow([os.path.splitext(name)[0], peak_signal_noise_ratio(r, p, data_range=255), ssim, mse,
                    smap[m & inner].mean(), smap[~m & inner].mean()])
'''
peer_script = os.path.join(work, "peer.py")
open(peer_script, "w").write(PEER)
ours_csv, peer_csv = os.path.join(work, "medsr.csv"), os.path.join(work, "peer.csv")


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


ours, theirs = [], []
for k in range(rounds):
    if os.path.exists(ours_csv):
        os.remove(ours_csv)
    ours.append(timed([medsr, "evaluate", "--pred", dirs["pred"], "--ref", dirs["ref"], "--mask", dirs["mask"],
                       "--csv", ours_csv]))
    theirs.append(timed([sys.executable, peer_script, dirs["pred"], dirs["ref"], dirs["mask"], peer_csv]))
    print(f"  round {k + 1}: MedSR {ours[-1]:.2f} s, scikit-image {theirs[-1]:.2f} s, ratio {theirs[-1] / ours[-1]:.1f}x",
          flush=True)


def table(path):
    return {row["name"]: row for row in csv.DictReader(open(path))}


a, b = table(ours_csv), table(peer_csv)
diff = {c: max(abs(float(a[n][c]) - float(b[n][c])) for n in b) for c in ("psnr", "ssim", "ssim_mask", "ssim_background")}
ratios = [t / o for o, t in zip(ours, theirs)]
import skimage
print(f"{files} pairs of 1024² 8-bit PNGs with masks; {os.cpu_count()} cores; largest |MedSR − scikit-image|: "
      + ", ".join(f"{c} {v:.2g}" for c, v in diff.items()))
print(f"MedSR evaluate {statistics.median(ours):.2f} s   scikit-image {skimage.__version__} loop "
      f"{statistics.median(theirs):.2f} s   speed-up {statistics.median(theirs) / statistics.median(ours):.1f}x "
      f"(rounds {min(ratios):.1f}-{max(ratios):.1f}x; goal >= 5x)")
