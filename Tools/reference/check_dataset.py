#!/usr/bin/env python3
"""Check a MedSR dataset with zarr-python 3, independently of MedSR's own reader.

usage: check_dataset.py DATASET EXPORT_DIR [SOURCE_ROOT]

- every array opens in zarr-python; shapes and dtypes are what the card says;
- tiles.csv has one row per tile, indices 0..N-1 per split, and no raw patient ids;
- every tile read by zarr-python equals, bit for bit, the .npy MedSR exported for it
  (`medsr export DATASET --split S --format npy --out EXPORT_DIR`, all splits);
- with SOURCE_ROOT, a sample of HR tiles is recomputed from the source files: PNG, JPEG, BMP
  and TIFF sources (identity mapping, grey or RGB) must equal Pillow's decode (resized with
  Pillow's BICUBIC when the recipe has `resize`); .mat sources must equal the manifest's
  lo/hi mapping of h5py's array within 1 level; LR tiles must equal Pillow's BICUBIC resize
  of the HR tile within 1 level.
Exit status 0 when everything holds; prints one line per failure otherwise.
"""
import csv
import json
import os
import sys

import numpy as np
import zarr
from PIL import Image

ds, export = sys.argv[1], sys.argv[2]
source_root = sys.argv[3] if len(sys.argv) > 3 else None
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


root = zarr.open_group(ds, mode="r")
card = root.attrs["medsr"]
tile, channels, scales = card["tile"], card["channels"], card["scales"]
dtype = np.dtype(card["dtype"])
rows = list(csv.DictReader(open(os.path.join(ds, "tiles.csv"), newline="")))
recipe = json.load(open(os.path.join(ds, "recipe.json")))
checked = 0
for split in ("train", "val", "test"):
    g = root[split]
    names = ["hr"] + [f"lr_x{s}" for s in scales] + (["mask"] if card["masks"] else [])
    split_rows = [r for r in rows if r["split"] == split]
    if [int(r["index"]) for r in split_rows] != list(range(len(split_rows))):
        fail(f"{split}: tiles.csv indices are not 0..N-1 in order")
    if len(split_rows) != card["counts"][split]["tiles"]:
        fail(f"{split}: {len(split_rows)} manifest rows, card says {card['counts'][split]['tiles']}")
    for name in names:
        a = g[name]
        side = tile if name in ("hr", "mask") else tile // int(name[4:])
        masks = len(card.get("mask_names", [])) or 1
        want = (len(split_rows), masks if name == "mask" else channels, side, side)
        if a.shape != want:
            fail(f"{split}/{name}: shape {a.shape}, expected {want}")
            continue
        if a.dtype != (np.uint8 if name == "mask" else dtype):
            fail(f"{split}/{name}: dtype {a.dtype}")
        data = a[...]
        for i in range(a.shape[0]):
            path = os.path.join(export, split, name, f"{i:06d}.npy")
            ref = np.load(path)
            ref = ref[None] if ref.ndim == 2 else np.moveaxis(ref, -1, 0)
            if name == "mask" and a.attrs.get("medsr", {}).get("mask_names") != card.get("mask_names"):
                fail(f"{split}/mask: mask_names in the array differ from the card")
            if not np.array_equal(ref, data[i]):
                fail(f"{split}/{name}[{i}]: zarr-python and medsr export differ")
            checked += 1
        if name == "mask" and data.size and data.max() > 1:
            fail(f"{split}/mask holds values other than 0/1")

    if source_root:
        hr = g["hr"][...]
        lrs = {s: g[f"lr_x{s}"][...] for s in scales}
        for r in split_rows[:: max(1, len(split_rows) // 8)]:
            i, x, y = int(r["index"]), int(r["x"]), int(r["y"])
            src = os.path.join(source_root, r["source"])
            raster = src.lower().endswith((".png", ".jpeg", ".jpg", ".bmp", ".tif", ".tiff"))
            if raster and card["intensity"]["mode"] == "identity" and channels in (1, 3):
                pil = Image.open(src).convert("L" if channels == 1 else "RGB")
                if recipe.get("resize"):
                    pil = pil.resize((recipe["resize"], recipe["resize"]), Image.BICUBIC)
                im = np.asarray(pil)
                im = im[None] if im.ndim == 2 else np.moveaxis(im, -1, 0)
                if not np.array_equal(im[:, y:y + tile, x:x + tile], hr[i]):
                    fail(f"{split}[{i}]: HR tile differs from Pillow's decode of {r['source']} at {x},{y}")
            elif src.endswith(".mat") and dtype == np.uint8:
                import h5py
                try:
                    with h5py.File(src, "r") as f:
                        img = np.asarray(f["cjdata"]["image"]).T.astype(np.float64)
                except OSError:
                    import scipy.io
                    img = scipy.io.loadmat(src)["cjdata"]["image"][0, 0].astype(np.float64)
                lo, hi = float(r["lo"]), float(r["hi"])
                want = np.clip(np.round((img - lo) * (255.0 / (hi - lo))), 0, 255)[y:y + tile, x:x + tile]
                if np.abs(want - hr[i, 0]).max() > 1:
                    fail(f"{split}[{i}]: HR tile differs from the lo/hi mapping of {r['source']} by more than 1")
            for s in scales:
                if channels == 1 and dtype == np.uint8:
                    small = np.asarray(Image.fromarray(hr[i, 0]).resize((tile // s, tile // s), Image.BICUBIC))
                    d = np.abs(small.astype(int) - lrs[s][i, 0].astype(int)).max()
                    if d > 1:
                        fail(f"{split}[{i}]: lr_x{s} differs from Pillow BICUBIC by {d}")
            checked += 1

text = open(os.path.join(ds, "tiles.csv")).read()
for r in rows:
    if r["patient"] and len(r["patient"]) not in (16, 24):
        fail(f"patient column holds '{r['patient'][:4]}…', not a pseudonym")
        break
print(f"zarr {zarr.__version__}: {checked} tile checks, {len(failures)} failures")
sys.exit(1 if failures else 0)
