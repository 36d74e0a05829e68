#!/usr/bin/env python3
"""U-Net / GAN layers against PyTorch, side by side in one run, same shapes and thread counts.

usage: layers_bench.py MEDSR_BENCH [ROUNDS]

Stride-2 convolutions: MedNN's direct path (space-to-depth), its im2col + GEMM path and PyTorch.
Transposed convolutions (k 2, stride 2: the U-Net's up-sampling, 256 → 128 channels at 32²,
128 → 64 at 64², batch 4): MedNN and PyTorch.

Shapes: a U-Net / pix2pix encoder layer (k 4, 64 → 128, 128², batch 4) and SRGAN discriminator
layers (k 3, 64 → 64 at 96², batch 16; 128 → 128 at 48², batch 16), padding (k − 1) / 2, 1 and
2 threads. Times are the best of 5 (forward; forward + backward with the output as its own
gradient; the input gradient included), medians over the rounds; rounds alternate MedSR and
PyTorch. "direct" is MedNN's direct forward (space-to-depth) with backward on im2col + GEMM, as
Conv2d runs even kernels by default (odd ones use the GEMM path; DIRECT_BACKWARD=1 in the
environment runs backward on the direct kernels too). Needs torch.
"""
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

bench = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def torch_time(k, cin, cout, side, batch, threads, repeat=5):
    torch.set_num_threads(threads)
    conv = nn.Conv2d(cin, cout, k, stride=2, padding=(k - 1) // 2)
    # The input needs its gradient, as MedNN computes it (inside a network it is needed).
    x = (torch.rand(batch, cin, side, side) * 2 - 1).requires_grad_(True)
    fwd = step = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        y = conv(x)
        m = time.perf_counter()
        y.backward(y.detach())
        e = time.perf_counter()
        fwd, step = min(fwd, m - t), min(step, e - t)
        conv.zero_grad()
        x.grad = None
    return fwd, step


shapes = [(4, 64, 128, 128, 4), (3, 64, 64, 96, 16), (3, 128, 128, 48, 16)]
for k, cin, cout, side, batch in shapes:
    for threads in (1, 2):
        ours, theirs = [], []
        for _ in range(rounds):
            out = subprocess.run([bench, "conv-stride2", *map(str, (k, cin, cout, side, batch, threads, 5))],
                                 capture_output=True, text=True, check=True).stdout.split()
            ours.append(tuple(map(float, out)))
            theirs.append(torch_time(k, cin, cout, side, batch, threads))
        d_f, d_s, g_f, g_s = (statistics.median(o[i] for o in ours) for i in range(4))
        t_f, t_s = (statistics.median(t[i] for t in theirs) for i in range(2))
        o = (side + 2 * ((k - 1) // 2) - k) // 2 + 1
        gflop = 2 * cin * cout * k * k * o * o * batch / 1e9
        print(f"k{k} {cin}->{cout} {side}² b{batch} {threads}t  forward: direct {d_f * 1e3:7.1f} ms "
              f"({gflop / d_f:5.1f} GFLOP/s)  GEMM {g_f * 1e3:7.1f}  PyTorch {t_f * 1e3:7.1f}  "
              f"| fwd+bwd: direct {d_s * 1e3:7.1f}  GEMM {g_s * 1e3:7.1f}  PyTorch {t_s * 1e3:7.1f}  "
              f"ratio vs PyTorch {t_s / d_s:4.2f}x")


def torch_convt(k, cin, cout, side, batch, threads, repeat=5):
    torch.set_num_threads(threads)
    conv = nn.ConvTranspose2d(cin, cout, k, stride=k)
    x = (torch.rand(batch, cin, side, side) * 2 - 1).requires_grad_(True)
    fwd = step = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        y = conv(x)
        m = time.perf_counter()
        y.backward(y.detach())
        e = time.perf_counter()
        fwd, step = min(fwd, m - t), min(step, e - t)
        conv.zero_grad()
        x.grad = None
    return fwd, step


for k, cin, cout, side, batch in [(2, 256, 128, 32, 4), (2, 128, 64, 64, 4)]:
    for threads in (1, 2):
        ours, theirs = [], []
        for _ in range(rounds):
            out = subprocess.run([bench, "convt", *map(str, (k, cin, cout, side, batch, threads, 5))],
                                 capture_output=True, text=True, check=True).stdout.split()
            ours.append(tuple(map(float, out)))
            theirs.append(torch_convt(k, cin, cout, side, batch, threads))
        o_f, o_s = (statistics.median(o[i] for o in ours) for i in range(2))
        t_f, t_s = (statistics.median(t[i] for t in theirs) for i in range(2))
        print(f"convT k{k} s{k} {cin}->{cout} {side}² b{batch} {threads}t  forward: MedNN {o_f * 1e3:7.1f} ms  "
              f"PyTorch {t_f * 1e3:7.1f}  | fwd+bwd: MedNN {o_s * 1e3:7.1f}  PyTorch {t_s * 1e3:7.1f}  ratio {t_s / o_s:4.2f}x")
