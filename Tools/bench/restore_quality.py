#!/usr/bin/env python3
"""Does `medsr train --task restore` learn? Issue 18's quality evidence, one run, both sides.

usage: restore_quality.py MEDSR ITK_DATA WORKDIR [--minutes 15] [--only unet|dncnn] [--unet-steps N] [--dncnn-steps N]
                          [--unet-width 16] [--unet-depth 3] [--unet-patch 48] [--unet-batch 8] [--unet-lr 1e-3]
                          [--dncnn-width 64] [--dncnn-depth 17] [--dncnn-patch 40] [--dncnn-batch 16] [--dncnn-lr 1e-3]

Goals: the U-Net beats unsharp mask by >= 2 dB PSNR on blur:gaussian:2, DnCNN matches or beats
non-local means on noise:gaussian:15 (8-bit), each after <= --minutes of CPU training at one
thread; the same network trained in PyTorch on the same tiles, patches, degradation, steps, seed,
optimiser and schedule lands within 0.2 dB of ours.

Data (real public images, nothing downloaded by this script):
- blur (the microscopy study's sharpening task): scikit-image's bundled microscopy images,
  `skimage.data.immunohistochemistry()` (ihc.png, 512x512 RGB, immunohistochemical staining of
  colonic glands, public domain, from the Human Protein Atlas via scikit-image) and
  `skimage.data.cell()` (cell.png, 660x550, a cell floating in saline, CC0, from Fiji/ImageJ),
  both as 8-bit grey, cut into 128x128 blocks, one folder per block (a block plays the part of a
  patient, so train/val/test hold different regions of the slide).
- noise (the radiograph denoising task): the T1 brain volume of Debian's
  insighttoolkit5-examples (KmeansTest_T1UCharRaw.nii.gz, 128x128x62), axial slices as 16-bit
  PNGs in one folder per slab of 6 slices, as Tools/bench/train_quality.py does.
Both built with `medsr build image-folder`, tiles 64, stride 32, 8-bit.

MedSR: `medsr train --task restore --model unet|dncnn --degradation SPEC --threads 1`, both
trainings at once (the budget is wall time on a shared machine), steps chosen from a timing probe
of 20 steps so each run fits in --minutes (unless given), then `medsr evaluate --task restore
--split test` (methods degraded, sharpen = unsharp mask, gaussian, median, nlm, model).
PyTorch (torch.set_num_threads(1); Tools/reference/restore_reference.py's modules, the same
state_dict names): the same train tiles read with zarr-python, the whole tile degraded and then
a random patch cut with one of the 8 flips/rotations as MedSR does, the degradation in numpy as
MedSR's (Gaussian blur: radius ceil(3 sigma), mirrored borders, then 8-bit quantisation; Gaussian
noise sigma/255, clip to [0, 1], 8-bit quantisation; the noise realisation differs, not its
distribution), Adam (lr, betas 0.9/0.999) with cosine decay, MSE, the same batch, patch and
steps, seed 1. Ours vs PyTorch is scored identically: MedSR's model file is loaded into the
PyTorch module (strict names) and both run in evaluation mode on the same degraded test tiles,
outputs clipped and rounded to 8 bits, PSNR (data range 255) averaged over tiles.
"""
import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "reference"))

SEED = 1


def gaussian_blur(x, sigma):
    """MedSR's UnsharpMask.gaussian: separable, radius ceil(3 sigma), mirrored borders (c b a | a b c)."""
    r = max(1, int(math.ceil(3 * sigma)))
    w = np.exp(-0.5 * np.arange(-r, r + 1) ** 2 / sigma ** 2)
    w /= w.sum()
    p = np.pad(x.astype(np.float64), ((0, 0), (r, r)), mode="symmetric")
    tmp = sum(w[k] * p[:, k:k + x.shape[1]] for k in range(2 * r + 1)).astype(np.float32).astype(np.float64)
    p = np.pad(tmp, ((r, r), (0, 0)), mode="symmetric")
    return sum(w[k] * p[k:k + x.shape[0], :] for k in range(2 * r + 1)).astype(np.float32)


def degrade(tile, spec, rng):
    """One [C, T, T] tile in [0, 1] degraded by SPEC and stored back as 8 bits, as MedSR does."""
    kind, name, value = spec.split(":")
    sigma = float(value)
    if (kind, name) == ("blur", "gaussian"):
        out = np.stack([gaussian_blur(c, sigma) for c in tile])
    elif (kind, name) == ("noise", "gaussian"):
        out = np.clip(tile + (sigma / 255) * rng.standard_normal(tile.shape), 0, 1)
    else:
        raise SystemExit(f"{spec}: this script implements blur:gaussian:S and noise:gaussian:S")
    return (np.clip(np.round(out * 255), 0, 255) / 255).astype(np.float32)


def psnr_tiles(out, clean):
    """Mean over tiles of PSNR (data range 255) of outputs clipped and rounded to 8 bits (both in [0, 1])."""
    q = np.clip(np.round(out * 255), 0, 255).astype(np.float64)
    c = np.round(clean.astype(np.float64) * 255)
    return float(np.mean([10 * math.log10(255 ** 2 / max(np.mean((q[i] - c[i]) ** 2), 1e-12)) for i in range(len(q))]))


def torch_worker(args):
    """Trains the PyTorch twin of one MedSR run and writes its weights (called as a subprocess)."""
    import torch
    import torch.nn as nn
    import zarr
    from restore_reference import DnCNN, UNet
    from safetensors.torch import save_file

    cfg = json.loads(args.torch_worker)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    g = zarr.open_group(cfg["dataset"], mode="r")
    hr = g["train/hr"][...].astype(np.float32) / 255
    model = UNet(1, cfg["width"], cfg["depth"]) if cfg["model"] == "unet" else DnCNN(1, cfg["depth"], cfg["width"])
    model.train()
    opt = torch.optim.Adam(model.parameters(), cfg["lr"])
    rng = np.random.default_rng(SEED)
    blur = cfg["degradation"].startswith("blur")
    fixed = np.stack([degrade(t, cfg["degradation"], rng) for t in hr]) if blur else None  # blur draws nothing
    steps, P, B, T = cfg["steps"], cfg["patch"], cfg["batch"], hr.shape[-1]
    t0 = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cfg["lr"] * 0.5 * (1 + math.cos(math.pi * step / steps))
        xs, ys = [], []
        for _ in range(B):
            i = rng.integers(0, len(hr))
            x = fixed[i] if blur else degrade(hr[i], cfg["degradation"], rng)
            y = hr[i]
            c0, r0 = rng.integers(0, T - P + 1, 2)
            a, b = x[:, r0:r0 + P, c0:c0 + P], y[:, r0:r0 + P, c0:c0 + P]
            k = rng.integers(0, 8)
            if k & 4: a, b = a.transpose(0, 2, 1), b.transpose(0, 2, 1)
            if k & 1: a, b = a[:, :, ::-1], b[:, :, ::-1]
            if k & 2: a, b = a[:, ::-1, :], b[:, ::-1, :]
            xs.append(np.ascontiguousarray(a))
            ys.append(np.ascontiguousarray(b))
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(torch.from_numpy(np.stack(xs))), torch.from_numpy(np.stack(ys)))
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, cfg["out"],
              metadata={"architecture": cfg["model"], "channels": "1", "width": str(cfg["width"]),
                        "depth": str(cfg["depth"]), "seconds": repr(seconds), "loss": repr(loss.item())})


def load(path):
    """A restoration model file (MedSR's or the worker's) in the reference PyTorch module."""
    from restore_reference import build
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    model = build(meta)
    model.load_state_dict(load_file(path), strict=True)
    return model.eval(), meta


def t1_slices(itk, src):
    """The ITK T1 volume's axial slices as 16-bit PNGs, a folder per slab of 6 slices."""
    from PIL import Image
    raw = gzip.open(os.path.join(itk, "KmeansTest_T1UCharRaw.nii.gz")).read()
    dims = np.frombuffer(raw[40:56], "<i2")
    offset = int(np.frombuffer(raw[108:112], "<f4")[0])
    vol = np.frombuffer(raw[offset:offset + 2 * int(np.prod(dims[1:4]))], "<i2").reshape(dims[3], dims[2], dims[1])
    for z in range(vol.shape[0]):
        d = os.path.join(src, f"slab{z // 6:02d}")
        os.makedirs(d, exist_ok=True)
        Image.fromarray(np.clip(vol[z], 0, 65535).astype(np.uint16)).save(os.path.join(d, f"z{z:03d}.png"))


def microscopy_blocks(src):
    """scikit-image's bundled microscopy images as 8-bit grey 128x128 blocks, a folder per block."""
    from PIL import Image
    from skimage import data
    from skimage.color import rgb2gray
    images = {"ihc": np.round(rgb2gray(data.immunohistochemistry()) * 255).astype(np.uint8), "cell": data.cell()}
    for name, im in images.items():
        for by in range(im.shape[0] // 128):
            for bx in range(im.shape[1] // 128):
                d = os.path.join(src, f"{name}-{by}-{bx}")
                os.makedirs(d, exist_ok=True)
                Image.fromarray(im[by * 128:(by + 1) * 128, bx * 128:(bx + 1) * 128]).save(os.path.join(d, "block.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("medsr", nargs="?")
    ap.add_argument("itk", nargs="?")
    ap.add_argument("work", nargs="?")
    ap.add_argument("--torch-worker")
    ap.add_argument("--minutes", type=float, default=15)
    ap.add_argument("--only", choices=["unet", "dncnn"], help="run one of the two tasks")
    for m, w, d, p, b in (("unet", 16, 3, 48, 8), ("dncnn", 64, 17, 40, 16)):
        ap.add_argument(f"--{m}-steps", type=int)
        ap.add_argument(f"--{m}-width", type=int, default=w)
        ap.add_argument(f"--{m}-depth", type=int, default=d)
        ap.add_argument(f"--{m}-patch", type=int, default=p)
        ap.add_argument(f"--{m}-batch", type=int, default=b)
        ap.add_argument(f"--{m}-lr", type=float, default=1e-3)
    args = ap.parse_args()
    if args.torch_worker:
        return torch_worker(args)
    medsr, work = args.medsr, args.work
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, MEDSR_MANIFESTS=os.path.join(here, "..", "..", "Manifests"))

    # 1. Datasets.
    tasks = {"unet": {"degradation": "blur:gaussian:2", "baseline": "sharpen", "data": "microscopy"},
             "dncnn": {"degradation": "noise:gaussian:15", "baseline": "nlm", "data": "t1"}}
    if args.only:
        tasks = {args.only: tasks[args.only]}
    for data, make, fg in (("microscopy", microscopy_blocks, "0"), ("t1", lambda s: t1_slices(args.itk, s), "0.3")):
        if data not in {t["data"] for t in tasks.values()}:
            continue
        src, ds = os.path.join(work, data + "-src"), os.path.join(work, data + "-ds")
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(ds, ignore_errors=True)
        make(src)
        subprocess.run([medsr, "build", "image-folder", "--input", src, "--out", ds, "--tile", "64", "--stride", "32",
                        "--bits", "8", "--min-foreground", fg, "--seed", "quality"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    for m, t in tasks.items():
        t.update(dataset=os.path.join(work, t["data"] + "-ds"), width=getattr(args, f"{m}_width"),
                 depth=getattr(args, f"{m}_depth"), patch=getattr(args, f"{m}_patch"),
                 batch=getattr(args, f"{m}_batch"), lr=getattr(args, f"{m}_lr"), steps=getattr(args, f"{m}_steps"))

    def train(m, steps, out):
        t = tasks[m]
        return subprocess.Popen([medsr, "train", "--task", "restore", "--model", m, "--degradation", t["degradation"],
                                 "--dataset", t["dataset"], "--patch", str(t["patch"]), "--batch", str(t["batch"]),
                                 "--width", str(t["width"]), "--depth", str(t["depth"]), "--lr", str(t["lr"]),
                                 "--steps", str(steps), "--validate-every", str(steps), "--checkpoint-every", str(steps),
                                 "--seed", str(SEED), "--threads", "1", "--out", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(procs):
        for m, (p, t0) in procs.items():
            _, err = p.communicate()
            if p.returncode:
                raise SystemExit(f"medsr train {m} failed: {err.strip()}")
            tasks[m]["minutes"] = (time.perf_counter() - t0) / 60

    def twins(steps, tag):
        out = {}
        for m, t in tasks.items():
            cfg = {k: t[k] for k in ("dataset", "degradation", "width", "depth", "patch", "batch", "lr")}
            cfg.update(model=m, steps=steps or t["steps"], out=os.path.join(work, f"{tag}-{m}.safetensors"))
            out[m] = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--torch-worker", json.dumps(cfg)],
                                      stderr=subprocess.PIPE, text=True)
        return out

    def finish(workers):
        for m, w in workers.items():
            _, err = w.communicate()
            if w.returncode:
                raise SystemExit(f"PyTorch {m} failed: {err.strip()}")

    # 2. Timing probe (all four at once, as the real runs), then steps that fit in the budget.
    if any(t["steps"] is None for t in tasks.values()):
        probe = 20
        workers = twins(probe, "probe-torch")
        wait({m: (train(m, probe, os.path.join(work, f"probe-{m}")), time.perf_counter()) for m in tasks})
        finish(workers)
        for m, t in tasks.items():
            if t["steps"] is None:
                t["steps"] = max(1, int(0.9 * args.minutes / (t["minutes"] / probe)))
            print(f"probe: {m} {60 * t['minutes'] / probe:.2f} s/step -> {t['steps']} steps", flush=True)

    # 3. MedSR and PyTorch, all four at once (one thread each).
    workers = twins(None, "torch")
    procs = {}
    for m in tasks:
        run = os.path.join(work, f"run-{m}")
        shutil.rmtree(run, ignore_errors=True)
        procs[m] = (train(m, tasks[m]["steps"], run), time.perf_counter())
    wait(procs)
    finish(workers)

    # 4. Scores: medsr evaluate (degraded, baselines, model), then ours vs PyTorch on the same inputs.
    import torch
    import zarr
    torch.set_num_threads(1)
    rows = []
    for m, t in tasks.items():
        summary = os.path.join(work, f"eval-{m}.json")
        subprocess.run([medsr, "evaluate", "--dataset", t["dataset"], "--split", "test", "--task", "restore",
                        "--model", os.path.join(work, f"run-{m}"), "--json", summary,
                        "--csv", os.path.join(work, f"eval-{m}.csv")], check=True, stdout=subprocess.DEVNULL)
        methods = {k: v["all"]["psnr"]["mean"] for k, v in json.load(open(summary))["methods"].items()}
        baseline = next(v for k, v in methods.items() if k.startswith(t["baseline"]))
        clean = zarr.open_group(t["dataset"], mode="r")["test/hr"][...].astype(np.float32) / 255
        rng = np.random.default_rng(12345)
        degraded = np.stack([degrade(c, t["degradation"], rng) for c in clean])
        ours, meta = load(os.path.join(work, f"run-{m}", "model.safetensors"))
        theirs, tmeta = load(os.path.join(work, f"torch-{m}.safetensors"))
        with torch.no_grad():
            x = torch.from_numpy(degraded)
            po, pt = psnr_tiles(ours(x).numpy(), clean), psnr_tiles(theirs(x).numpy(), clean)
        rows.append((m, t, methods, baseline, psnr_tiles(degraded, clean), po, pt, float(tmeta["seconds"]) / 60, len(clean)))

    print()
    print("| task | data (test tiles) | method | PSNR dB | vs baseline | training min | steps |")
    print("|---|---|---|---|---|---|---|")
    for m, t, methods, baseline, *_ , n in rows:
        for k, v in methods.items():
            mark = f"{v - baseline:+.2f}"
            label = "MedSR " + m if k == "model" else k
            extra = f"{t['minutes']:.1f} | {t['steps']}" if k == "model" else " | "
            print(f"| {t['degradation']} | {t['data']} ({n}) | {label} | {v:.2f} | {mark} | {extra} |")
    print()
    print("Ours vs PyTorch, both run by PyTorch on the same degraded test tiles (numpy degradation):")
    print("| task | degraded | MedSR | PyTorch | MedSR - PyTorch | PyTorch training min |")
    print("|---|---|---|---|---|---|")
    for m, t, methods, baseline, pd, po, pt, tmin, n in rows:
        print(f"| {m} {t['degradation']} | {pd:.2f} | {po:.2f} | {pt:.2f} | {po - pt:+.2f} | {tmin:.1f} |")
    print()
    for m, t, methods, baseline, pd, po, pt, tmin, n in rows:
        goal = 2.0 if m == "unet" else 0.0
        gain = methods["model"] - baseline
        print(f"{m}: {gain:+.2f} dB over {t['baseline']} (goal >= {goal:+.1f}): {'met' if gain >= goal else 'NOT met'}; "
              f"vs PyTorch {po - pt:+.2f} dB (goal within 0.2): {'met' if abs(po - pt) <= 0.2 else 'NOT met'}; "
              f"{t['steps']} steps, width {t['width']}, depth {t['depth']}, patch {t['patch']}, batch {t['batch']}, "
              f"lr {t['lr']:g}, {t['minutes']:.1f} min (ours) / {tmin:.1f} min (PyTorch) at 1 thread")


if __name__ == "__main__":
    main()
