#!/usr/bin/env python3
"""Reference PyTorch modules of MedSR's restoration networks and their golden files (the Swift
tests do not need Python).

usage: restore_reference.py FIXTURES            writes FIXTURES/nn/restore/
       restore_reference.py --check MODEL.safetensors
                                                  loads a MedSR model file (unet, dncnn, dae,
                                                  patchgan) into the module with strict names

The modules (names and structure are what MedSR's models follow; see their doc comments):
- UNet (the microscopy study's generator), DnCNN (Zhang et al. 2017), DenoisingAutoencoder
  (the Keras-style convolutional DAE), and pix2pix's NLayerDiscriminator (the 70×70 PatchGAN,
  Isola et al. 2017; copied from junyanz/pytorch-CycleGAN-and-pix2pix, BSD licence).

For each network, small widths keep the files small; it writes <name>.safetensors (weights and
buffers; batch-norm running statistics and affine parameters randomised so evaluation mode is
not an identity) and <name>_golden.safetensors: "input", "eval" (evaluation-mode output),
"train" (training-mode output), "target", "grad.input" and "grad.<param>" (MSE against target in
training mode), "after.<buffer>" (buffers after that forward), "adam.<param>" (values after one
torch.optim.Adam(lr=1e-3) step), and the loss in the metadata.
"""
import os
import sys

import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, channels=1, width=16, depth=3):
        super().__init__()
        w = [width * 2 ** level for level in range(depth + 1)]
        self.down = nn.ModuleList([block(channels if level == 0 else w[level - 1], w[level]) for level in range(depth)])
        self.bottleneck = block(w[depth - 1], w[depth])
        self.up = nn.ModuleList([block(w[level] + w[level + 1], w[level]) for level in range(depth)])
        self.pool, self.upsample = nn.MaxPool2d(2), nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Conv2d(width, channels, 1)

    def forward(self, x):
        skips = []
        for down in self.down:
            x = down(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for level in reversed(range(len(self.up))):
            x = self.up[level](torch.cat([skips[level], self.upsample(x)], 1))
        return self.head(x)


class DnCNN(nn.Module):
    def __init__(self, channels=1, depth=17, width=64):
        super().__init__()
        layers = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        layers.append(nn.Conv2d(width, channels, 3, padding=1, bias=False))
        self.dncnn = nn.Sequential(*layers)

    def forward(self, x):
        return x - self.dncnn(x)


class DenoisingAutoencoder(nn.Module):
    def __init__(self, channels=1, width=32, depth=2):
        super().__init__()
        enc, dec = [], []
        for level in range(depth):
            enc += [nn.Conv2d(channels if level == 0 else width, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            dec += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest")]
        dec += [nn.Conv2d(width, channels, 3, padding=1), nn.Sigmoid()]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class NLayerDiscriminator(nn.Module):
    """pix2pix's PatchGAN discriminator with batch norm (use_bias is False before the norms)."""

    def __init__(self, input_nc, ndf=64, n_layers=3):
        super().__init__()
        kw, padw = 4, 1
        sequence = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2 ** n, 8)
            sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw, bias=False),
                         nn.BatchNorm2d(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        nf_mult_prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw, bias=False),
                     nn.BatchNorm2d(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        sequence += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*sequence)

    def forward(self, x):
        return self.model(x)


def build(meta):
    """The module a model file's metadata describes (MedSR's defaults where a size is absent)."""
    a, c = meta["architecture"], int(meta.get("channels", "1"))
    w, d = meta.get("width"), meta.get("depth")
    if a == "unet":
        return UNet(c, int(w or 16), int(d or 3))
    if a == "dncnn":
        return DnCNN(c, int(d or 17), int(w or 64))
    if a == "dae":
        return DenoisingAutoencoder(c, int(w or 32), int(d or 2))
    if a == "patchgan":
        return NLayerDiscriminator(c, int(w or 64), int(d or 3))
    raise SystemExit(f"{a}: not a restoration architecture")


def perturb(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(3)


def golden(out, name, model, x, meta):
    from safetensors.torch import save_file
    perturb(model)
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(sd, os.path.join(out, name + ".safetensors"), metadata={"format": "pt", **meta})
    model.eval()
    with torch.no_grad():
        evaluated = model(x)
    model.train()
    xi = x.clone().requires_grad_()
    y = model(xi)
    target = torch.rand_like(y)
    loss = nn.functional.mse_loss(y, target)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad()
    loss.backward()
    tensors = {"input": x, "eval": evaluated, "train": y.detach(), "target": target, "grad.input": xi.grad}
    tensors.update({"grad." + n: p.grad.clone() for n, p in model.named_parameters()})
    tensors.update({"after." + n: b.clone() for n, b in model.named_buffers()})
    opt.step()
    tensors.update({"adam." + n: p.detach().clone() for n, p in model.named_parameters()})
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, name + "_golden.safetensors"),
              metadata={"loss": repr(loss.item())})
    print(name, sum(p.numel() for p in model.parameters()), "parameters, output", tuple(y.shape), "loss", loss.item())


def main():
    if sys.argv[1] == "--check":
        from safetensors import safe_open
        from safetensors.torch import load_file
        with safe_open(sys.argv[2], "pt") as f:
            meta = f.metadata()
        model = build(meta)
        model.load_state_dict(load_file(sys.argv[2]), strict=True)
        print(f"{meta['architecture']}: load_state_dict(strict=True) ok,",
              sum(p.numel() for p in model.parameters()), "parameters")
        return
    out = os.path.join(sys.argv[1], "nn", "restore")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(2017)
    golden(out, "unet", UNet(2, 4, 2), torch.rand(2, 2, 8, 12), {"architecture": "unet", "channels": "2", "width": "4", "depth": "2"})
    golden(out, "dncnn", DnCNN(1, 5, 6), torch.rand(2, 1, 9, 7), {"architecture": "dncnn", "channels": "1", "width": "6", "depth": "5"})
    golden(out, "dae", DenoisingAutoencoder(1, 5, 2), torch.rand(2, 1, 8, 12),
           {"architecture": "dae", "channels": "1", "width": "5", "depth": "2"})
    golden(out, "patchgan", NLayerDiscriminator(2, 2, 3), torch.rand(2, 2, 32, 36),
           {"architecture": "patchgan", "channels": "2", "width": "2", "depth": "3"})
    # Parameter counts of the default (full-size) networks, for the doc comments.
    for name, m in [("unet RGB", UNet(3)), ("unet grey", UNet(1)), ("dncnn grey", DnCNN(1)), ("dae grey", DenoisingAutoencoder(1)),
                    ("patchgan 2 channels", NLayerDiscriminator(2)), ("patchgan 6 channels", NLayerDiscriminator(6))]:
        print("default", name, sum(p.numel() for p in m.parameters()), "parameters")


if __name__ == "__main__":
    main()
