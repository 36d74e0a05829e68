#!/usr/bin/env python3
"""Reference outputs of Pillow's BICUBIC resize for MedSR's Resample tests.

usage: resample_reference.py FIXTURES

Input: a 97x83 crop of Fixtures/png/nih/images/00000001_000.png (8-bit gray) plus an RGB
crop of Fixtures/png/types/rgb8.png; outputs: Pillow `resize((w, h), Image.BICUBIC)` for
shrinking by 2, 3, 4, a non-integer shrink, and an enlargement; also a 16-bit (I;16) case.
Writes FIXTURES/resample/*.npy and cases.json.
"""
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

fx = sys.argv[1]
out = os.path.join(fx, "resample")
os.makedirs(out, exist_ok=True)
gray = np.asarray(Image.open(os.path.join(fx, "png/nih/images/00000001_000.png")).convert("L"))[400:483, 300:397]
rgb = np.asarray(Image.open(os.path.join(fx, "png/types/rgb8.png")).convert("RGB"))
np.save(os.path.join(out, "gray_in.npy"), np.ascontiguousarray(gray))
np.save(os.path.join(out, "rgb_in.npy"), np.ascontiguousarray(rgb))
gray16 = (gray.astype(np.uint16) * 200 + np.arange(gray.size, dtype=np.uint16).reshape(gray.shape) % 97).astype(np.uint16)
np.save(os.path.join(out, "gray16_in.npy"), np.ascontiguousarray(gray16))
cases = []
for name, src in (("gray", gray), ("rgb", rgb), ("gray16", gray16)):
    h, w = src.shape[:2]
    for (tw, th) in ((w // 2, h // 2), (w // 3, h // 3), (w // 4, h // 4), (int(w / 1.7), int(h / 2.3)), (w * 2 + 1, h + 7)):
        res = np.asarray(Image.fromarray(src).resize((tw, th), Image.BICUBIC))
        fname = f"{name}_{tw}x{th}.npy"
        np.save(os.path.join(out, fname), np.ascontiguousarray(res))
        cases.append({"input": f"{name}_in.npy", "columns": tw, "rows": th, "output": fname})
json.dump({"pillow": PIL.__version__, "cases": cases}, open(os.path.join(out, "cases.json"), "w"), indent=1)
