#!/usr/bin/env python3
"""Dataset-build benchmark: MedSR vs a Python reference pipeline, side by side in one run.

usage: build_bench.py MEDSR MEDSR_BENCH WORKDIR [N_IMAGES] [ROUNDS] [COMPRESSION...]

Input: N (default 200) synthetic NIH-style radiographs, 1024x1024 8-bit gray PNG, made once
with the same generator as the fixtures (smooth anatomy plus film grain: they compress to
about 380 KB, like the real set's 42 GB / 112,120 files), with a Data_Entry_2017.csv.
Task (both sides): decode every PNG, cut 16 tiles of 256x256, make x4 LR tiles by bicubic
(Pillow's BICUBIC; MedSR's Pillow-exact kernel), write hr and lr_x4 arrays [N,1,T,T] to a
sharded Zarr v3 store (256 tiles per shard, one tile per inner chunk), with the same chunk
codec on both sides: zstd level 3 and no compression by default (each reported on its own).
- MedSR: `medsr build nih-chestxray14 … -j 2` (also writes tiles.csv, splits, card).
- Python: Pillow decode, numpy tiling, Pillow resize, zarr-python 3 `create_array(shards=…)`,
  one process (zarr-python may use threads for its codecs).
- MedSR decode only: `medsr-bench readpar` (the same files, both cores).
Rounds alternate the three, each started after an untimed `sync`; the median of each is
reported, with the ratios.
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
import zarr
from PIL import Image
from zarr.codecs import ZstdCodec

medsr, bench, work = sys.argv[1:4]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
codecs = sys.argv[6:] or ["zstd", "none"]
data = os.path.join(work, f"nih{n}")
images = os.path.join(data, "images")


def radiograph(seed):
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:1024, 0:1024] / 1024.0
    body = np.exp(-(((x - 0.5) / 0.42) ** 6 + ((y - 0.55) / 0.5) ** 6))
    lungs = sum(np.exp(-(((x - cx) / 0.15) ** 2 + ((y - 0.48) / 0.27) ** 2)) for cx in (0.33 + r.normal(0, 0.01), 0.67))
    ribs = 0.08 * np.sin(2 * np.pi * (y * 9 + 0.6 * np.abs(x - 0.5))) * lungs
    img = 40 + 170 * body - 110 * lungs + 60 * ribs + 15 * np.exp(-(((x - 0.5) / 0.05) ** 2)) * body
    img += r.normal(0, 1.2, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


if not os.path.exists(os.path.join(data, "Data_Entry_2017.csv")):
    os.makedirs(images, exist_ok=True)
    with open(os.path.join(data, "Data_Entry_2017.csv"), "w") as f:
        f.write("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
                "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\n")
        for i in range(n):
            name = f"{i // 3 + 1:08d}_{i % 3:03d}.png"
            Image.fromarray(radiograph(i)).save(os.path.join(images, name))
            f.write(f"{name},No Finding,{i % 3},{i // 3 + 1},050Y,M,PA,2500,2048,0.168,0.168,\n")
    names = sorted(os.listdir(images))
    cut = len(names) * 4 // 5 // 3 * 3   # patient-disjoint: three images per patient
    open(os.path.join(data, "train_val_list.txt"), "w").write("".join(x + "\n" for x in names[:cut]))
    open(os.path.join(data, "test_list.txt"), "w").write("".join(x + "\n" for x in names[cut:]))
files = sorted(os.path.join(images, f) for f in os.listdir(images))
mb = sum(os.path.getsize(f) for f in files) / 1e6
print(f"input: {len(files)} PNGs 1024x1024 8-bit, {mb / len(files) * 1000:.0f} KB each on average")


def python_pipeline(out, codec):
    compressors = [ZstdCodec(level=3)] if codec == "zstd" else None
    T, S, per_shard = 256, 4, 256
    total = len(files) * 16
    root = zarr.open_group(out, mode="w")
    hr = root.create_array("hr", shape=(total, 1, T, T), dtype="uint8", chunks=(1, 1, T, T),
                           shards=(per_shard, 1, T, T), compressors=compressors)
    lr = root.create_array("lr_x4", shape=(total, 1, T // S, T // S), dtype="uint8", chunks=(1, 1, T // S, T // S),
                           shards=(per_shard, 1, T // S, T // S), compressors=compressors)
    buf_hr, buf_lr, start = [], [], 0
    for f in files:
        a = np.asarray(Image.open(f).convert("L"))
        for y in range(0, 1024, T):
            for x in range(0, 1024, T):
                t = a[y:y + T, x:x + T]
                buf_hr.append(t)
                buf_lr.append(np.asarray(Image.fromarray(t).resize((T // S, T // S), Image.BICUBIC)))
        if len(buf_hr) >= per_shard:
            hr[start:start + per_shard] = np.stack(buf_hr[:per_shard])[:, None]
            lr[start:start + per_shard] = np.stack(buf_lr[:per_shard])[:, None]
            buf_hr, buf_lr, start = buf_hr[per_shard:], buf_lr[per_shard:], start + per_shard
    if buf_hr:
        hr[start:start + len(buf_hr)] = np.stack(buf_hr)[:, None]
        lr[start:start + len(buf_lr)] = np.stack(buf_lr)[:, None]


def timed(fn):
    # Flush the previous step's dirty pages first (untimed), so that the kernel writing back
    # one side's dataset does not land in the other side's timing. Each side's own writes
    # (into the page cache) stay in its time, as they do for a user.
    os.sync()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


env = dict(os.environ, MEDSR_MANIFESTS=os.path.join(os.path.dirname(__file__), "..", "..", "Manifests"))
summary = []
for codec in codecs:
    ours, peer, decode = [], [], []
    for r in range(rounds):
        out = os.path.join(work, "medsr-ds")
        shutil.rmtree(out, ignore_errors=True)
        cmd = [medsr, "build", "nih-chestxray14", "--input", data, "--out", out, "--tile", "256", "--scales", "4",
               "--compression", codec, "--split", "80/10/10", "-j", "2"]
        ours.append(timed(lambda: subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)))
        pout = os.path.join(work, "python-ds")
        shutil.rmtree(pout, ignore_errors=True)
        peer.append(timed(lambda: python_pipeline(pout, codec)))
        os.sync()
        res = subprocess.run([bench, "readpar", "1"] + files, check=True, capture_output=True, text=True)
        decode.append(float(res.stdout.split()[0]))
        print(f"[{codec}] round {r + 1}: medsr build {ours[-1]:.2f} s, python pipeline {peer[-1]:.2f} s, "
              f"medsr decode only {decode[-1]:.2f} s")
    # Same tiles on both sides: compare a sample.
    g, p = zarr.open_group(os.path.join(work, "medsr-ds"), mode="r"), zarr.open_group(os.path.join(work, "python-ds"), mode="r")
    rows = list(csv.DictReader(open(os.path.join(work, "medsr-ds", "tiles.csv"))))
    order = {(os.path.basename(rw["source"]), int(rw["x"]), int(rw["y"])): (rw["split"], int(rw["index"])) for rw in rows}
    worst = 0
    for k in range(0, len(files) * 16, 97):
        f, t = files[k // 16], k % 16
        split, idx = order[(os.path.basename(f), (t % 4) * 256, (t // 4) * 256)]
        assert np.array_equal(g[split]["hr"][idx], p["hr"][k]), "HR tiles differ"
        worst = max(worst, int(np.abs(g[split]["lr_x4"][idx].astype(int) - p["lr_x4"][k].astype(int)).max()))
    m, py, d = statistics.median(ours), statistics.median(peer), statistics.median(decode)
    summary.append(f"[{codec}] same tiles: HR identical, LR max difference {worst} (sampled)\n"
                   f"[{codec}] medsr build      {len(files) / m:8.1f} images/s  ({m:.2f} s)\n"
                   f"[{codec}] python pipeline  {len(files) / py:8.1f} images/s  ({py:.2f} s)\n"
                   f"[{codec}] speed-up {py / m:.2f}x (goal >= 3x); medsr end-to-end / decode-only {m / d:.2f} "
                   f"(goal <= 1.5; decode only {d:.2f} s)")
print("\n".join(summary))
