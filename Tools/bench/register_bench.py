#!/usr/bin/env python3
"""Registration: MedSR vs OpenCV matchTemplate(TM_CCOEFF_NORMED), side by side in one run.

usage: register_bench.py MEDSR_BENCH WORKDIR [ROUNDS]

Cases (both at the same scale, scale 1; the images come from a real histology slide, scikit-image's
ihc via Fixtures/tiff/slide_jpeg_subifd.tif, enlarged by Pillow's bicubic):
  crop-2048   a 256² field cut from a 2048² image, with a brightness/contrast change and noise σ 3;
  stain-4096  a 512² field in a 4096² image, seen through another stain (the field's grey is
              0.2 R + 0.5 G + 0.3 B with a gamma of 0.7 where the image's is luminance) and noise σ 12.
Both programs get the same float32 planes (decoding is excluded on both sides) and are timed on
the search alone: MedSR's `locate` (coarse to fine, with its "found" evidence) in medsr-bench, and
OpenCV's matchTemplate + minMaxLoc here. OpenCV searches every position at full resolution.
Rounds alternate the two programs; each round's figure is the best of 3 calls; the script prints
every round, the medians and the range of the per-round ratio. Also times MedSR's own exhaustive
full-resolution search on a 512² crop (the full 2048² one would take minutes) and scales it by
the number of positions.
"""
import os
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np
from PIL import Image

bench, work = sys.argv[1:3]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
import tifffile
slide = tifffile.imread(os.path.join(here, "..", "..", "Fixtures", "tiff", "slide_jpeg_subifd.tif"))
rng = np.random.default_rng(5)


def crop_case():
    gray = np.asarray(Image.fromarray(slide).convert("L").resize((2048, 2048), Image.BICUBIC)).astype(np.float32)
    image = gray + rng.normal(0, 3, gray.shape).astype(np.float32)
    tx, ty = 1234, 321
    field = (gray[ty:ty + 256, tx:tx + 256] * 0.9 + 10 + rng.normal(0, 3, (256, 256))).astype(np.float32)
    return "crop-2048", image, field, (tx, ty)


def stain_case():
    rgb = np.asarray(Image.fromarray(slide).resize((4096, 4096), Image.BICUBIC)).astype(np.float32)
    lum = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    image = (lum + rng.normal(0, 3, lum.shape)).astype(np.float32)
    tx, ty = 2871, 1309
    f = rgb[ty:ty + 512, tx:tx + 512]
    g = 0.2 * f[..., 0] + 0.5 * f[..., 1] + 0.3 * f[..., 2]
    field = (255 * (g / 255) ** 0.7 + rng.normal(0, 12, g.shape)).astype(np.float32)
    return "stain-4096", image, field, (tx, ty)


summary = []
for name, image, field, (tx, ty) in [crop_case(), stain_case()]:
    low_path, field_path = os.path.join(work, name + "-low.npy"), os.path.join(work, name + "-field.npy")
    np.save(low_path, image)
    np.save(field_path, field)
    ours, theirs = [], []
    for _ in range(rounds):
        out = subprocess.run([bench, "register", "3", "1", low_path, field_path], check=True, capture_output=True,
                             text=True).stdout.split()
        ours.append(float(out[0]))
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            res = cv2.matchTemplate(image, field, cv2.TM_CCOEFF_NORMED)
            _, score, _, loc = cv2.minMaxLoc(res)
            best = min(best, time.perf_counter() - t)
        theirs.append(best)
        print(f"  {name} round: MedSR {ours[-1] * 1000:.1f} ms, OpenCV {best * 1000:.1f} ms, ratio {best / ours[-1]:.1f}x",
              flush=True)
    ratios = [c / o for o, c in zip(ours, theirs)]
    o, c = statistics.median(ours), statistics.median(theirs)
    print(f"{name}: {image.shape[1]}² image, {field.shape[1]}² field; truth ({tx}, {ty}); MedSR ({float(out[1]):.2f}, "
          f"{float(out[2]):.2f}) score {float(out[3]):.4f} found {out[4]} evidence z {out[5]}; OpenCV {loc} score {score:.4f}")
    summary.append(f"{name}: MedSR {o * 1000:.1f} ms   OpenCV {cv2.__version__} matchTemplate {c * 1000:.1f} ms   "
                   f"speed-up {c / o:.1f}x (rounds {min(ratios):.1f}-{max(ratios):.1f}x; goal >= 5x)")
for line in summary:
    print(line)
image = np.load(os.path.join(work, "crop-2048-low.npy"))
crop = image[:512, :512]
cf = crop[100:356, 150:406].copy()
np.save(os.path.join(work, "crop.npy"), crop)
np.save(os.path.join(work, "cropfield.npy"), cf)
ex = subprocess.run([bench, "register", "1", "1", os.path.join(work, "crop.npy"), os.path.join(work, "cropfield.npy"),
                     "exhaustive"], check=True, capture_output=True, text=True).stdout.split()
ex_full = float(ex[0]) * (1793 * 1793) / (257 * 257)
print(f"MedSR exhaustive full resolution: {float(ex[0]):.2f} s on 257² positions -> ~{ex_full:.0f} s for 1793² "
      f"(the crop-2048 case)")
