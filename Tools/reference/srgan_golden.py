#!/usr/bin/env python3
"""PyTorch golden files for SRResNet, Swift-SRGAN and the discriminators (the Swift tests do not
need Python). Small widths keep the files small; the names, layouts and structure are the real
ones (srgan_reference.py).

usage: srgan_golden.py FIXTURES

Writes FIXTURES/nn/<name>.safetensors with the weights and buffers (random batch-norm running
statistics and PReLU slopes, so eval mode is not an identity), <name>_golden.safetensors with
"input", "eval" (eval-mode output), "train" (train-mode output), "grad.<param>" (gradients of
the MSE against "target" in train mode), "after.<buffer>" (running statistics after that
forward) and the loss in the metadata.
"""
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srgan_reference import Discriminator, Generator  # noqa: E402

out = os.path.join(sys.argv[1], "nn")
os.makedirs(out, exist_ok=True)


def perturb(model):
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(7)
            if isinstance(m, nn.PReLU):
                m.weight.uniform_(0.05, 0.4)


def golden(name, model, x, meta):
    perturb(model)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(sd, os.path.join(out, name + ".safetensors"), metadata={"format": "pt", **meta})
    model.eval()
    with torch.no_grad():
        evaluated = model(x)
    model.train()
    y = model(x)
    target = torch.rand_like(y)
    loss = nn.functional.mse_loss(y, target)
    loss.backward()
    tensors = {"input": x, "eval": evaluated, "train": y.detach(), "target": target}
    tensors.update({"grad." + n: p.grad for n, p in model.named_parameters()})
    tensors.update({"after." + n: b for n, b in model.named_buffers()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, name + "_golden.safetensors"),
              metadata={"loss": repr(loss.item())})
    print(name, sum(p.numel() for p in model.parameters()), "parameters, loss", loss.item())


torch.manual_seed(2017)
golden("srresnet_x4", Generator(1, 4, separable=False, blocks=2, features=16), torch.rand(2, 1, 6, 5),
       {"architecture": "srresnet", "scale": "4", "channels": "1", "blocks": "2", "features": "16"})
golden("swift_srgan_x2", Generator(3, 2, separable=True, blocks=2, features=16), torch.rand(2, 3, 7, 6),
       {"architecture": "swift-srgan", "scale": "2", "channels": "3", "blocks": "2", "features": "16"})
widths = (8, 8, 16, 16, 32, 32, 64, 64)
golden("discriminator", Discriminator(1, False, widths, pool=2, hidden=32), torch.rand(3, 1, 24, 24),
       {"features": ",".join(map(str, widths)), "pool": "2", "hidden": "32"})
golden("discriminator_separable", Discriminator(3, True, widths, pool=2, hidden=32), torch.rand(3, 3, 20, 20),
       {"features": ",".join(map(str, widths)), "pool": "2", "hidden": "32"})
# Parameter counts of the full-size models, for the README and the tests.
for sep in (False, True):
    g = Generator(3, 4, separable=sep)
    print("full generator x4 RGB", "separable" if sep else "plain", sum(p.numel() for p in g.parameters()))

# Perceptual loss: a narrow VGG-like `features` stack with torchvision's indices (conv, ReLU,
# conv, ReLU, max pool, conv, ReLU), ImageNet normalisation, grey inputs repeated to RGB.
class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())


torch.manual_seed(2016)
vgg = Features()
save_file({k: v.contiguous() for k, v in vgg.state_dict().items()}, os.path.join(out, "perceptual.safetensors"))
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
golden_p = {}
for name, channels in (("grey", 1), ("rgb", 3)):
    sr = torch.rand(2, channels, 12, 10, requires_grad=True)
    hr = torch.rand(2, channels, 12, 10)
    def norm(x):
        return ((x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x) - mean) / std
    loss = nn.functional.mse_loss(vgg.features(norm(sr)), vgg.features(norm(hr)))
    loss.backward()
    golden_p.update({f"{name}.sr": sr.detach(), f"{name}.hr": hr, f"{name}.grad": sr.grad, f"{name}.loss": loss.detach().reshape(1)})
save_file({k: v.contiguous() for k, v in golden_p.items()}, os.path.join(out, "perceptual_golden.safetensors"))
print("perceptual", {k: float(v) for k, v in golden_p.items() if k.endswith("loss")})
