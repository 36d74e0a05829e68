#!/usr/bin/env python3
"""MedNN against PyTorch on the CPU, side by side in one run, same shapes and thread counts.

usage: nn_bench.py MEDSR_BENCH [ROUNDS]

- training step (forward, backward, Adam) of ESPCN x4 on a batch of 16 LR patches 32x32
  (HR 128x128), 1 and 2 threads (MedSR: the layers' own threads; PyTorch: torch.set_num_threads);
- inference of ESPCN x4 on one 256x256 image;
- restoration (scale 1): U-Net (width 16, depth 3) training step on 4 patches 256x256 and DnCNN
  (17 layers, 64 channels) on 16 patches 64x64, and both inferring one 256x256 image;
- training step of SRResNet x4 (16 blocks, batch norm in training mode) on a batch of 4 LR
  patches 24x24, and its inference (evaluation mode; MedSR folds batch norm into the convolutions)
  on one 128x128 image.
Each round runs MedSR (medsr-bench, median of 10 steps (4 for U-Net and DnCNN) / best of 5 inferences, as PyTorch) and then
PyTorch the same way; rounds alternate, medians are printed with the ratio (>1: MedSR faster).
Needs torch (`pip install torch`); the weights are random (speed does not depend on them).
Also prints the machine's measured one-thread sgemm (torch.mm 1024², best of 5) and each
training step's GFLOP/s as a share of it. MedSR's single-precision convolutions do not go
through sgemm (a direct AVX-512 kernel), so the share can pass 100%.
"""
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

bench = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from espcn_reference import ESPCN  # noqa: E402
from restore_reference import DnCNN, UNet  # noqa: E402
from srgan_reference import Generator  # noqa: E402


def torch_train(threads, model=ESPCN, batch=16, patch=32, scale=4, steps=10):
    torch.set_num_threads(threads)
    m = model()
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x, y = torch.rand(batch, 1, patch, patch), torch.rand(batch, 1, patch * scale, patch * scale)
    times = []
    for _ in range(steps + 2):
        t = time.perf_counter()
        opt.zero_grad()
        nn.functional.mse_loss(m(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - t)
    return statistics.median(times[2:])


def torch_infer(threads, model=ESPCN, size=256):
    torch.set_num_threads(threads)
    m = model().eval()
    x = torch.rand(1, 1, size, size)
    best = float("inf")
    with torch.no_grad():
        for _ in range(5):
            t = time.perf_counter()
            m(x)
            best = min(best, time.perf_counter() - t)
    return best


# FLOPs of one training step (forward + backward ≈ 3× forward GEMM work).
def conv_flops(cin, cout, k, n):
    return 2 * cin * cout * k * k * n


fwd = conv_flops(1, 64, 5, 16 * 32 * 32) + conv_flops(64, 32, 3, 16 * 32 * 32) + conv_flops(32, 16, 3, 16 * 32 * 32)
step_flops = {"ESPCN": 3 * fwd}
n = 4 * 24 * 24  # SRResNet x4: LR positions of the batch
srresnet_fwd = (conv_flops(1, 64, 9, n) + 33 * conv_flops(64, 64, 3, n) + conv_flops(64, 256, 3, n)
                + conv_flops(64, 256, 3, 4 * n) + conv_flops(64, 1, 9, 16 * n))
step_flops["SRResNet"] = 3 * srresnet_fwd
# U-Net (width 16, depth 3) on a batch of 4 256² patches; DnCNN (17 layers, 64 channels) on 16 of 64².
unet_fwd, w = 0, [16, 32, 64, 128]
for level in range(3):
    n = 4 * (256 >> level) ** 2
    unet_fwd += conv_flops(1 if level == 0 else w[level - 1], w[level], 3, n) + conv_flops(w[level], w[level], 3, n)
    unet_fwd += conv_flops(w[level] + w[level + 1], w[level], 3, n) + conv_flops(w[level], w[level], 3, n)
unet_fwd += conv_flops(64, 128, 3, 4 * 32 * 32) + conv_flops(128, 128, 3, 4 * 32 * 32) + conv_flops(16, 1, 1, 4 * 256 * 256)
step_flops["U-Net"] = 3 * unet_fwd
n = 16 * 64 * 64
step_flops["DnCNN"] = 3 * (conv_flops(1, 64, 3, n) + 15 * conv_flops(64, 64, 3, n) + conv_flops(64, 1, 3, n))
torch.set_num_threads(1)
a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
peak = []
for _ in range(5):
    t = time.perf_counter()
    torch.mm(a, b)
    peak.append(2 * 1024 ** 3 / (time.perf_counter() - t))
peak1 = max(peak)
results = {}
for name, ours_args, theirs in [
    ("ESPCN x4 train step, 1 thread", ["espcn-train", "10", "16", "32", "4", "1"], lambda: torch_train(1)),
    ("ESPCN x4 train step, 2 threads", ["espcn-train", "10", "16", "32", "4", "2"], lambda: torch_train(2)),
    ("ESPCN x4 inference 256², 1 thread", ["espcn-infer", "256", "4", "1", "5"], lambda: torch_infer(1)),
    ("ESPCN x4 inference 256², 2 threads", ["espcn-infer", "256", "4", "2", "5"], lambda: torch_infer(2)),
    ("SRResNet x4 train step, 1 thread", ["sr-train", "srresnet", "4", "4", "24", "4", "1"], lambda: torch_train(1, Generator, 4, 24)),
    ("SRResNet x4 train step, 2 threads", ["sr-train", "srresnet", "4", "4", "24", "4", "2"], lambda: torch_train(2, Generator, 4, 24)),
    ("SRResNet x4 inference 128², 1 thread", ["sr-infer", "srresnet", "128", "4", "1", "5"], lambda: torch_infer(1, Generator, 128)),
    ("SRResNet x4 inference 128², 2 threads", ["sr-infer", "srresnet", "128", "4", "2", "5"], lambda: torch_infer(2, Generator, 128)),
    ("Swift-SRGAN x4 inference 128², 1 thread", ["sr-infer", "swift-srgan", "128", "4", "1", "5"],
     lambda: torch_infer(1, lambda: Generator(separable=True), 128)),
    ("Swift-SRGAN x4 inference 128², 2 threads", ["sr-infer", "swift-srgan", "128", "4", "2", "5"],
     lambda: torch_infer(2, lambda: Generator(separable=True), 128)),
    # Restoration (scale 1): fewer steps, each takes seconds.
    ("U-Net train step 4×256², 1 thread", ["sr-train", "unet", "4", "4", "256", "1", "1"], lambda: torch_train(1, UNet, 4, 256, 1, 4)),
    ("U-Net train step 4×256², 2 threads", ["sr-train", "unet", "4", "4", "256", "1", "2"], lambda: torch_train(2, UNet, 4, 256, 1, 4)),
    ("U-Net inference 256², 1 thread", ["sr-infer", "unet", "256", "1", "1", "5"], lambda: torch_infer(1, UNet, 256)),
    ("U-Net inference 256², 2 threads", ["sr-infer", "unet", "256", "1", "2", "5"], lambda: torch_infer(2, UNet, 256)),
    ("DnCNN train step 16×64², 1 thread", ["sr-train", "dncnn", "4", "16", "64", "1", "1"], lambda: torch_train(1, DnCNN, 16, 64, 1, 4)),
    ("DnCNN train step 16×64², 2 threads", ["sr-train", "dncnn", "4", "16", "64", "1", "2"], lambda: torch_train(2, DnCNN, 16, 64, 1, 4)),
    ("DnCNN inference 256², 1 thread", ["sr-infer", "dncnn", "256", "1", "1", "5"], lambda: torch_infer(1, DnCNN, 256)),
    ("DnCNN inference 256², 2 threads", ["sr-infer", "dncnn", "256", "1", "2", "5"], lambda: torch_infer(2, DnCNN, 256)),
]:
    # ONLY=U-Net (a substring of the row names) runs a subset.
    if os.environ.get("ONLY", "") not in name:
        continue
    o, p = [], []
    for _ in range(rounds):
        o.append(float(subprocess.run([bench, *ours_args], capture_output=True, text=True, check=True).stdout.split()[0]))
        p.append(theirs())
    results[name] = (statistics.median(o), statistics.median(p))
print(f"machine: one-thread sgemm peak {peak1 / 1e9:.1f} GFLOP/s (torch.mm 1024², best of 5)")
for name, (o, p) in results.items():
    extra = ""
    if "train" in name and "1 thread" in name and name.split()[0] in step_flops:
        f = step_flops[name.split()[0]]
        extra = f"   MedSR at {f / o / 1e9:.1f} GFLOP/s = {100 * f / o / peak1:.0f}% of torch.mm's sgemm (PyTorch {f / p / 1e9:.1f})"
    print(f"{name:40s} MedSR {o * 1000:8.1f} ms   PyTorch {torch.__version__} {p * 1000:8.1f} ms   ratio {p / o:4.2f}x{extra}")
