#!/usr/bin/env python3
"""Registration: MedSR vs OpenCV matchTemplate(TM_CCOEFF_NORMED), side by side in one run.

usage: register_bench.py MEDSR_BENCH WORKDIR [ROUNDS]

Task: a 256x256 field located in a 2048x2048 image at the same scale (the field cut at a known
position from a real histology slide — scikit-image's ihc.png via the slide fixture — enlarged to
2048² by Pillow, plus noise). OpenCV searches every position at full resolution; MedSR searches
coarse to fine. Both answers are printed with the truth; rounds alternate; medians are compared.
Also times MedSR's own exhaustive full-resolution search on a 512² crop (the full 2048² one
would take minutes) and scales it by the number of positions.
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
gray = np.asarray(Image.fromarray(slide).convert("L").resize((2048, 2048), Image.BICUBIC)).astype(np.float32)
rng = np.random.default_rng(5)
image = gray + rng.normal(0, 3, gray.shape).astype(np.float32)
tx, ty = 1234, 321
field = (gray[ty:ty + 256, tx:tx + 256] * 0.9 + 10 + rng.normal(0, 3, (256, 256))).astype(np.float32)
np.save(os.path.join(work, "low.npy"), image)
np.save(os.path.join(work, "field.npy"), field)
ours, theirs = [], []
for _ in range(rounds):
    out = subprocess.run([bench, "register", "3", "1", os.path.join(work, "low.npy"), os.path.join(work, "field.npy")],
                         check=True, capture_output=True, text=True).stdout.split()
    ours.append(float(out[0]))
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        res = cv2.matchTemplate(image, field, cv2.TM_CCOEFF_NORMED)
        _, score, _, loc = cv2.minMaxLoc(res)
        best = min(best, time.perf_counter() - t)
    theirs.append(best)
crop = image[:512, :512]
cf = crop[100:356, 150:406].copy()
np.save(os.path.join(work, "crop.npy"), crop)
np.save(os.path.join(work, "cropfield.npy"), cf)
ex = subprocess.run([bench, "register", "1", "1", os.path.join(work, "crop.npy"), os.path.join(work, "cropfield.npy"), "exhaustive"],
                    check=True, capture_output=True, text=True).stdout.split()
ex_full = float(ex[0]) * (1793 * 1793) / (257 * 257)
o, c = statistics.median(ours), statistics.median(theirs)
print(f"truth ({tx}, {ty}); MedSR ({float(out[1]):.2f}, {float(out[2]):.2f}) score {float(out[3]):.4f}; OpenCV {loc} score {score:.4f}")
print(f"MedSR coarse-to-fine {o * 1000:.1f} ms   OpenCV {cv2.__version__} matchTemplate {c * 1000:.1f} ms   speed-up {c / o:.1f}x (goal >= 5x)")
print(f"MedSR exhaustive full resolution: {float(ex[0]):.2f} s on 257² positions -> ~{ex_full:.0f} s for 1793²; "
      f"coarse-to-fine is ~{ex_full / o:.0f}x faster")
