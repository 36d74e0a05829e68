#!/usr/bin/env python3
"""Does `medsr train` learn? ESPCN x4 on real MRI against bicubic, and against the same model
trained in PyTorch on the same tiles, steps and hyper-parameters. One run, both sides.

usage: train_quality.py MEDSR ITK_DATA WORKDIR [STEPS]

Data: the T1 brain volume of Debian's insighttoolkit5-examples (KmeansTest_T1UCharRaw.nii.gz,
128x128x62, int16), axial slices written as 16-bit PNGs into one folder per slab of 6 slices
(a slab plays the part of a patient, so train/val/test hold different anatomy), built with the
image-folder recipe: tiles 64, stride 32, x4 LR (16x16), percentile mapping to 8 bits.
MedSR: `medsr train --model espcn --scale 4 --patch 12 --batch 16 --steps STEPS`, then
`medsr evaluate --model … --split test`. PyTorch: the README's reference ESPCN, the same tiles
(read with zarr-python), patches, flips/rotations, Adam 1e-3 with cosine decay, batch, steps;
output quantised to 8 bits and scored with the same PSNR (data range 255, mean over tiles).
"""
import csv
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import zarr
from PIL import Image

medsr, itk, work = sys.argv[1:4]
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
os.makedirs(work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, MEDSR_MANIFESTS=os.path.join(here, "..", "..", "Manifests"))

# 1. Slices of the real T1 volume, a folder per slab.
raw = gzip.open(os.path.join(itk, "KmeansTest_T1UCharRaw.nii.gz")).read()
dims = np.frombuffer(raw[40:56], "<i2")
offset = int(np.frombuffer(raw[108:112], "<f4")[0])
vol = np.frombuffer(raw[offset:offset + 2 * int(np.prod(dims[1:4]))], "<i2").reshape(dims[3], dims[2], dims[1])
src = os.path.join(work, "t1-slices")
shutil.rmtree(src, ignore_errors=True)
for z in range(vol.shape[0]):
    d = os.path.join(src, f"slab{z // 6:02d}")
    os.makedirs(d, exist_ok=True)
    Image.fromarray(np.clip(vol[z], 0, 65535).astype(np.uint16)).save(os.path.join(d, f"z{z:03d}.png"))
ds = os.path.join(work, "t1-ds")
shutil.rmtree(ds, ignore_errors=True)
subprocess.run([medsr, "build", "image-folder", "--input", src, "--out", ds, "--tile", "64", "--stride", "32",
                "--scales", "4", "--min-foreground", "0.3", "--seed", "quality"], check=True, env=env)

# 2. MedSR.
run = os.path.join(work, "run-medsr")
shutil.rmtree(run, ignore_errors=True)
t = time.perf_counter()
subprocess.run([medsr, "train", "--dataset", ds, "--model", "espcn", "--scale", "4", "--patch", "12", "--batch", "16",
                "--steps", str(steps), "--validate-every", str(max(1, steps // 10)), "--seed", "7", "--out", run], check=True)
medsr_seconds = time.perf_counter() - t
summary = os.path.join(work, "eval.json")
subprocess.run([medsr, "evaluate", "--dataset", ds, "--split", "test", "--scale", "4", "--model", run,
                "--json", summary, "--csv", os.path.join(work, "eval.csv")], check=True)
s = json.load(open(summary))["methods"]
ours, bicubic = s["model"]["all"]["psnr"]["mean"], s["bicubic"]["all"]["psnr"]["mean"]


# 3. PyTorch, same tiles and hyper-parameters.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from espcn_reference import ESPCN  # noqa: E402


torch.manual_seed(7)
torch.set_num_threads(2)
g = zarr.open_group(ds, mode="r")
hr = torch.from_numpy(g["train/hr"][...].astype(np.float32) / 255)
lr = torch.from_numpy(g["train/lr_x4"][...].astype(np.float32) / 255)
model = ESPCN()
opt = torch.optim.Adam(model.parameters(), 1e-3)
rng = np.random.default_rng(7)
P, S, B = 12, 4, 16
t = time.perf_counter()
for step in range(steps):
    for group in opt.param_groups:
        group["lr"] = 1e-3 * 0.5 * (1 + math.cos(math.pi * step / steps))
    idx = rng.integers(0, hr.shape[0], B)
    xs, ys = [], []
    for i in idx:
        x0, y0 = rng.integers(0, lr.shape[-1] - P + 1, 2)
        a = lr[i, :, y0:y0 + P, x0:x0 + P]
        b = hr[i, :, y0 * S:(y0 + P) * S, x0 * S:(x0 + P) * S]
        k = rng.integers(0, 8)
        if k & 4: a, b = a.transpose(1, 2), b.transpose(1, 2)
        if k & 1: a, b = a.flip(2), b.flip(2)
        if k & 2: a, b = a.flip(1), b.flip(1)
        xs.append(a)
        ys.append(b)
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(torch.stack(xs)), torch.stack(ys))
    loss.backward()
    opt.step()
torch_seconds = time.perf_counter() - t
th, tl = g["test/hr"][...], g["test/lr_x4"][...]
with torch.no_grad():
    out = model(torch.from_numpy(tl.astype(np.float32) / 255)).clamp(0, 1).numpy()
q = np.round(out * 255)
psnrs = [10 * math.log10(255 ** 2 / max(np.mean((q[i, 0] - th[i, 0].astype(np.float64)) ** 2), 1e-12)) for i in range(len(th))]
theirs = float(np.mean(psnrs))
print(f"test tiles: {len(th)} (slabs held out by the patient split)")
print(f"bicubic            PSNR {bicubic:.2f} dB")
print(f"ESPCN by medsr     PSNR {ours:.2f} dB  ({ours - bicubic:+.2f} dB over bicubic; goal >= +1.0)  trained in {medsr_seconds:.0f} s")
print(f"ESPCN by PyTorch   PSNR {theirs:.2f} dB  ({theirs - bicubic:+.2f} dB over bicubic)  trained in {torch_seconds:.0f} s")
print(f"MedSR - PyTorch: {ours - theirs:+.2f} dB (goal within 0.2 dB), {steps} steps each")
