#!/usr/bin/env python3
"""PyTorch/torchvision golden files for the classifiers (the Swift tests do not need Python).

usage: classify_golden.py FIXTURES      (needs torch, torchvision, safetensors)

Full-size networks would need megabytes of weights, so for resnet18, resnet34, densenet121
(torchvision.models, the real architectures) and cnn-small (SmallCNN below) the weights are
*generated* by a formula both sides compute exactly (`formula_weights`, mirrored in
Tests/MedNNTests/ClassifierTests.swift): for the k-th state-dict name in sorted order and its
i-th value, u = ((i·2654435761 + k·40503 + 12345) mod 2³²) / 2³² and

    weights of ≥ 2 dims   (2u − 1)·√(3 / fan_in)        fan_in = product of the shape after dim 0
    1-dim `.weight`       0.5 + u                         (batch norm scale)
    1-dim `.bias`         0.2·(2u − 1)
    `.running_mean`       0.2·(2u − 1)
    `.running_var`        0.5 + u
    `num_batches_tracked` 7

in float64, then rounded to float32 (and run in float64: see `golden`). The names must match torchvision's exactly (and the
layouts too), or the logits differ. Writes FIXTURES/nn/classify/<name>_golden.safetensors with
"input" [3, 1, 32, 32], "eval" and "train" logits, "target", the MSE loss in the metadata, full
gradients of a few tensors ("grad.<name>") and, for every parameter, Σ|gradient| ("gradabs.<name>").

It also saves a narrow torchvision DenseNet (growth 4, blocks (2, 2), 8 initial features,
bn_size 2, 3 classes, RGB) as a plain state dict, `densenet_tiny.safetensors`, with the logits of
an RGB input and of a grey input repeated to RGB (`densenet_tiny_golden.safetensors`): the Swift
test loads it into an RGB model, and into a grey model with the first convolution's RGB weights
summed.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from safetensors.torch import save_file

out = os.path.join(sys.argv[1], "nn", "classify")
os.makedirs(out, exist_ok=True)


class SmallCNN(nn.Module):
    def __init__(self, channels=1, classes=2, width=32, depth=4):
        super().__init__()
        layers, c = [], channels
        for i in range(depth):
            w = width * 2 ** i
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def formula_weights(model):
    sd = model.state_dict()
    new = {}
    for k, name in enumerate(sorted(sd)):
        t = sd[name]
        n = t.numel()
        i = np.arange(n, dtype=np.int64)
        u = ((i * 2654435761 + k * 40503 + 12345) % (1 << 32)).astype(np.float64) / 4294967296.0
        if name.endswith("num_batches_tracked"):
            new[name] = torch.full_like(t, 7)
            continue
        if name.endswith("running_mean"):
            v = 0.2 * (2 * u - 1)
        elif name.endswith("running_var"):
            v = 0.5 + u
        elif t.dim() >= 2:
            v = (2 * u - 1) * np.sqrt(3.0 / (n // t.shape[0]))
        elif name.endswith(".weight"):
            v = 0.5 + u
        else:
            v = 0.2 * (2 * u - 1)
        new[name] = torch.from_numpy(v.astype(np.float32)).reshape(t.shape)
    model.load_state_dict(new)


def grey(model):
    """torchvision's networks take RGB; the grey variant's first convolution takes 1 channel."""
    if hasattr(model, "conv1"):
        model.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    else:
        c0 = model.features.conv0
        model.features.conv0 = nn.Conv2d(1, c0.out_channels, 7, 2, 3, bias=False)
    return model


def golden(name, model, full):
    formula_weights(model)
    # In double precision: batch norm over a few values at the deepest levels makes the
    # gradients sensitive to rounding (the Swift test runs the double-precision path too).
    model.double()
    x = torch.rand(3, 1, 32, 32).double()
    model.eval()
    with torch.no_grad():
        evaluated = model(x)
    model.train()
    y = model(x)
    target = torch.rand(y.shape).double()
    loss = F.mse_loss(y, target)
    loss.backward()
    tensors = {"input": x, "eval": evaluated, "train": y.detach(), "target": target}
    for n, p in model.named_parameters():
        tensors["gradabs." + n] = p.grad.abs().sum().reshape(1)
        if n in full:
            tensors["grad." + n] = p.grad
    for n, b in model.named_buffers():
        if n in full:
            tensors["after." + n] = b.float()
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, os.path.join(out, name + "_golden.safetensors"),
              metadata={"loss": repr(loss.item()), "parameters": str(sum(p.numel() for p in model.parameters()))})
    print(name, sum(p.numel() for p in model.parameters()), "parameters, loss", loss.item())


torch.manual_seed(2016)
resnet_full = ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "fc.weight", "fc.bias",
               "layer2.0.downsample.1.weight", "layer4.1.bn2.bias"]
golden("resnet18", grey(torchvision.models.resnet18(num_classes=3)), resnet_full)
golden("resnet34", grey(torchvision.models.resnet34(num_classes=3)), resnet_full)
golden("densenet121", grey(torchvision.models.densenet121(num_classes=3)),
       ["features.conv0.weight", "features.norm0.weight", "features.norm0.running_var", "classifier.weight", "classifier.bias",
        "features.norm5.weight", "features.norm5.running_mean", "features.denseblock4.denselayer16.norm2.weight",
        "features.transition2.norm.bias"])
golden("cnn_small", SmallCNN(1, 3), ["features.0.weight", "features.1.weight", "features.1.running_mean", "classifier.weight",
                                     "classifier.bias", "features.13.bias"])

# A state dict as torchvision saves it (narrow DenseNet, RGB), loaded as is and summed to grey.
torch.manual_seed(2017)
tiny = torchvision.models.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2, num_classes=3)
with torch.no_grad():
    for m in tiny.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
tiny.eval()
save_file({k: v.contiguous() for k, v in tiny.state_dict().items()}, os.path.join(out, "densenet_tiny.safetensors"),
          metadata={"format": "pt"})
rgb = torch.rand(2, 3, 16, 16)
g = torch.rand(2, 1, 16, 16)
with torch.no_grad():
    save_file({"rgb": rgb, "rgb_logits": tiny(rgb), "grey": g, "grey_logits": tiny(g.repeat(1, 3, 1, 1))},
              os.path.join(out, "densenet_tiny_golden.safetensors"))
print("densenet_tiny", sum(p.numel() for p in tiny.parameters()), "parameters")
# Parameter counts of the full-size grey 2-class models, for the registry summaries.
for f in ("resnet18", "resnet34", "densenet121"):
    print(f, sum(p.numel() for p in grey(getattr(torchvision.models, f)(num_classes=2)).parameters()))
print("cnn-small", sum(p.numel() for p in SmallCNN(1, 2).parameters()))
