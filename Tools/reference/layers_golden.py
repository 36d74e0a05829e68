#!/usr/bin/env python3
"""PyTorch golden files for MedNN's layers and losses (the Swift tests do not need Python).

usage: layers_golden.py FIXTURES        (writes FIXTURES/nn/layers/*.safetensors)

Each case NAME stores NAME.input (NCHW), NAME.output, NAME.grad_output (a random upstream
gradient) and NAME.grad_input (autograd's), plus NAME.<param> / NAME.grad.<param> for layers with
parameters. Inputs are drawn in float32; PyTorch computes in float64 on those exact values and
the results are stored as float32, so a double-precision Swift layer must agree to float32
rounding. Loss cases store NAME.input, NAME.target (or NAME.labels), NAME.grad_input and the loss
in the metadata (NAME.loss, repr of the float64 value). Case options are in the metadata as
NAME.options (JSON) for the reader's information; the Swift tests spell them out again.

Needs torch and safetensors (pip install torch safetensors).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

out = os.path.join(sys.argv[1], "nn", "layers")
os.makedirs(out, exist_ok=True)
torch.manual_seed(18)


def rand(*shape, ties=False):
    x = torch.rand(*shape, dtype=torch.float32) * 2 - 1
    if ties:  # a coarse grid, so windows hold equal maxima (PyTorch keeps the first)
        x = torch.round(x * 4) / 4
    return x


class Golden:
    def __init__(self):
        self.tensors, self.meta = {}, {}

    def put(self, name, t):
        self.tensors[name] = t.detach().to(torch.float32).clone().contiguous()

    def layer(self, name, module, x, **options):
        """Forward and backward of `module` in float64 on the float32 input `x`."""
        module = module.double()
        xd = x.double().requires_grad_(True)
        y = module(xd)
        gy = rand(*y.shape)
        y.backward(gy.double())
        self.put(name + ".input", x)
        self.put(name + ".output", y)
        self.put(name + ".grad_output", gy)
        self.put(name + ".grad_input", xd.grad)
        for pname, p in module.named_parameters():
            self.put(f"{name}.{pname}", p)
            self.put(f"{name}.grad.{pname}", p.grad)
        self.meta[name + ".options"] = json.dumps(options)

    def loss(self, name, fn, x, **extra):
        xd = x.double().requires_grad_(True)
        value = fn(xd)
        value.backward()
        self.put(name + ".input", x)
        for k, v in extra.items():
            self.put(f"{name}.{k}", v)
        self.put(name + ".grad_input", xd.grad)
        self.meta[name + ".loss"] = repr(value.item())

    def save(self, file):
        save_file(self.tensors, os.path.join(out, file), metadata=self.meta)
        size = os.path.getsize(os.path.join(out, file))
        print(file, len(self.tensors), "tensors,", size, "bytes")


# Group A: pooling, dropout-free layers and losses.
pool = Golden()
pool.layer("maxpool_k2", nn.MaxPool2d(2), rand(2, 3, 8, 7, ties=True), kernel=2)
pool.layer("maxpool_k3_s2_p1", nn.MaxPool2d(3, 2, 1), rand(2, 3, 9, 8, ties=True), kernel=3, stride=2, padding=1)
pool.layer("maxpool_k3_s2_ceil", nn.MaxPool2d(3, 2, 0, ceil_mode=True), rand(1, 2, 8, 9), kernel=3, stride=2, ceil=True)
pool.layer("avgpool_k3_s2_p1", nn.AvgPool2d(3, 2, 1), rand(2, 3, 9, 8), kernel=3, stride=2, padding=1)
pool.layer("avgpool_k3_s2_p1_nopad", nn.AvgPool2d(3, 2, 1, count_include_pad=False), rand(2, 3, 9, 8),
           kernel=3, stride=2, padding=1, count_include_pad=False)
pool.layer("avgpool_k2_ceil", nn.AvgPool2d(2, ceil_mode=True), rand(1, 2, 7, 5), kernel=2, ceil=True)
pool.layer("avgpool_k3_s2_p1_ceil", nn.AvgPool2d(3, 2, 1, ceil_mode=True), rand(1, 2, 8, 6), kernel=3, stride=2, padding=1, ceil=True)
pool.layer("adaptive_1", nn.AdaptiveAvgPool2d(1), rand(2, 3, 7, 5), size=1)
pool.layer("adaptive_3x2", nn.AdaptiveAvgPool2d((3, 2)), rand(2, 3, 7, 5), rows=3, columns=2)
pool.save("pooling.safetensors")

losses = Golden()
p, t = rand(2, 3, 5, 4), rand(2, 3, 5, 4)
losses.loss("mse", lambda x: F.mse_loss(x, t.double()), p, target=t)
losses.loss("l1", lambda x: F.l1_loss(x, t.double()), p, target=t)
losses.loss("charbonnier", lambda x: torch.sqrt((x - t.double()) ** 2 + 1e-3 ** 2).mean(), p, target=t)
logits = rand(6, 4) * 4
targets = torch.rand(6, 4)
targets[0] = torch.tensor([0.0, 1.0, 1.0, 0.0])
pos = torch.tensor([1.0, 2.0, 0.5, 3.0])
losses.loss("bce", lambda x: F.binary_cross_entropy_with_logits(x, targets.double()), logits, target=targets)
losses.loss("bce_pos", lambda x: F.binary_cross_entropy_with_logits(x, targets.double(), pos_weight=pos.double()),
            logits, target=targets, pos_weight=pos)
big = torch.tensor([[40.0, -40.0, 0.0, 25.0]])
losses.loss("bce_large", lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor([[1.0, 0.0, 1.0, 0.0]], dtype=torch.float64)),
            big, target=torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
cl = rand(7, 5) * 3
labels = torch.tensor([0, 4, 2, 2, 1, 3, 4])
weights = torch.tensor([1.0, 0.5, 2.0, 1.5, 0.25])
losses.loss("ce", lambda x: F.cross_entropy(x, labels), cl, labels=labels.float())
losses.loss("ce_weighted", lambda x: F.cross_entropy(x, labels, weight=weights.double()), cl, labels=labels.float(), weight=weights)
losses.loss("ce_smooth", lambda x: F.cross_entropy(x, labels, label_smoothing=0.1), cl, labels=labels.float())
losses.loss("ce_weighted_smooth", lambda x: F.cross_entropy(x, labels, weight=weights.double(), label_smoothing=0.2),
            cl, labels=labels.float(), weight=weights)
ignored = labels.clone()
ignored[1] = -100
ignored[4] = -100
losses.loss("ce_ignore", lambda x: F.cross_entropy(x, ignored, weight=weights.double(), label_smoothing=0.2),
            cl, labels=ignored.float(), weight=weights)
seg = rand(2, 3, 4, 5) * 3
seg_labels = torch.randint(0, 3, (2, 4, 5))
losses.loss("ce_pixels", lambda x: F.cross_entropy(x, seg_labels, weight=weights[:3].double(), label_smoothing=0.1),
            seg, labels=seg_labels.float(), weight=weights[:3])
losses.save("losses.safetensors")

# Group B: transposed convolution and up-sampling.
up = Golden()
up.layer("convt_k2_s2", nn.ConvTranspose2d(3, 4, 2, stride=2), rand(2, 3, 4, 5))
up.layer("convt_k3_s2_p1_op1", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), rand(2, 3, 4, 3))
up.layer("convt_k4_s2_p1_nobias", nn.ConvTranspose2d(2, 3, 4, stride=2, padding=1, bias=False), rand(1, 2, 3, 4))
up.layer("convt_k3_s1_p1", nn.ConvTranspose2d(3, 2, 3, stride=1, padding=1), rand(2, 3, 5, 4))
up.layer("convt_k5_s3_p2_op2", nn.ConvTranspose2d(2, 2, 5, stride=3, padding=2, output_padding=2), rand(1, 2, 3, 3))
up.layer("nearest_2", nn.Upsample(scale_factor=2, mode="nearest"), rand(2, 3, 3, 4))
up.layer("nearest_3", nn.Upsample(scale_factor=3, mode="nearest"), rand(1, 2, 2, 3))
up.layer("bilinear_2", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), rand(2, 3, 4, 5))
up.layer("bilinear_2_corners", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), rand(2, 3, 4, 5))
up.layer("bilinear_3", nn.Upsample(scale_factor=3, mode="bilinear", align_corners=False), rand(1, 2, 3, 4))
up.layer("bilinear_3_corners", nn.Upsample(scale_factor=3, mode="bilinear", align_corners=True), rand(1, 2, 1, 4))
up.save("upsampling.safetensors")

# Group C: normalisation without running statistics (scale and shift drawn at random, so the
# affine part is not an identity).


def affine(module):
    with torch.no_grad():
        if getattr(module, "weight", None) is not None:
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.5, 0.5)
    return module


norm = Golden()
norm.layer("groupnorm_2x4", affine(nn.GroupNorm(2, 4)), rand(2, 4, 5, 6) * 3 + 1)
norm.layer("groupnorm_1x3", affine(nn.GroupNorm(1, 3)), rand(2, 3, 4, 4))
norm.layer("groupnorm_plain", nn.GroupNorm(3, 6, affine=False), rand(1, 6, 3, 5))
norm.layer("instancenorm", nn.InstanceNorm2d(3), rand(2, 3, 5, 6) * 2 - 0.5)
norm.layer("instancenorm_affine", affine(nn.InstanceNorm2d(3, affine=True)), rand(2, 3, 5, 6))
norm.save("normalisation.safetensors")
