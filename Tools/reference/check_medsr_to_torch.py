#!/usr/bin/env python3
"""MedSR → PyTorch: a model.safetensors written by `medsr train` loads into the reference module
with load_state_dict(strict=True), and PyTorch's output on an image equals `medsr upscale`'s.

usage: check_medsr_to_torch.py MODEL.safetensors INPUT.png MEDSR_OUTPUT.png
(8-bit grey or RGB PNG; the model's data_max must be 255). Prints the largest difference in
grey levels and exits 1 when it exceeds 1 (rounding).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from espcn_reference import ESPCN  # noqa: E402
from srgan_reference import Generator  # noqa: E402

path, inp, out = sys.argv[1:4]
raw = open(path, "rb").read()
meta = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]]).get("__metadata__", {})
arch, scale, channels = meta["architecture"], int(meta["scale"]), int(meta["channels"])
assert float(meta.get("data_max", 255)) == 255, "this check takes 8-bit models"
model = ESPCN(channels, scale) if arch == "espcn" else Generator(channels, scale, separable=arch == "swift-srgan")
model.load_state_dict(load_file(path), strict=True)
model.eval()
image = np.asarray(Image.open(inp).convert("L" if channels == 1 else "RGB"), dtype=np.float32) / 255
x = torch.from_numpy(image.reshape(image.shape[0], image.shape[1], channels).transpose(2, 0, 1)[None].copy())
with torch.no_grad():
    y = model(x)[0].numpy().transpose(1, 2, 0)
ours = np.asarray(Image.open(out), dtype=np.float32).reshape(y.shape[0], y.shape[1], channels)
theirs = np.clip(np.round(y * 255), 0, 255)
worst = np.abs(ours - theirs).max()
print(f"{arch} x{scale}: load_state_dict(strict=True) ok; largest difference from medsr upscale {worst:.0f} grey level(s)")
sys.exit(0 if worst <= 1 else 1)
