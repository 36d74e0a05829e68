#!/usr/bin/env python3
"""PyTorch golden files for MedNN (run with torch installed; the Swift tests do not need it).

usage: nn_reference.py FIXTURES [MEDSR_MODEL.safetensors MEDSR_INPUT.npy MEDSR_OUTPUT.npy]

Writes FIXTURES/nn/:
- espcn_x2.safetensors: the reference ESPCN (README) ×2, 1 channel, seeded PyTorch init,
  saved with safetensors.torch.save_file (PyTorch → MedSR);
- espcn_x2_input.npy [2,1,9,7] and espcn_x2_output.npy: its forward pass (float32);
- espcn_x2_step.safetensors: after one MSE + Adam(lr=1e-3) step on (input, target), the
  gradients ("grad.<name>") and the updated weights, with espcn_x2_target.npy.
With the optional arguments it checks MedSR → PyTorch: a model written by `medsr train`
loads with load_state_dict and gives MedSR's output on MedSR's input (prints the error).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file


from espcn_reference import ESPCN  # noqa: E402  (beside this script)


out = os.path.join(sys.argv[1], "nn")
os.makedirs(out, exist_ok=True)
torch.manual_seed(2016)
model = ESPCN(1, 2)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "espcn_x2.safetensors"),
          metadata={"format": "pt", "architecture": "espcn", "scale": "2", "channels": "1"})
x = torch.rand(2, 1, 9, 7)
np.save(os.path.join(out, "espcn_x2_input.npy"), x.numpy())
with torch.no_grad():
    np.save(os.path.join(out, "espcn_x2_output.npy"), model(x).numpy())
target = torch.rand(2, 1, 18, 14)
np.save(os.path.join(out, "espcn_x2_target.npy"), target.numpy())
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
opt.zero_grad()
loss = nn.functional.mse_loss(model(x), target)
loss.backward()
grads = {"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()}
opt.step()
step = {**grads, **{k: v.contiguous() for k, v in model.state_dict().items()}}
save_file(step, os.path.join(out, "espcn_x2_step.safetensors"), metadata={"loss": repr(loss.item())})
print("wrote", out, "loss", loss.item())

if len(sys.argv) > 4:
    sd = load_file(sys.argv[2])
    scale = int(np.sqrt(sd["conv3.weight"].shape[0] // sd["conv1.weight"].shape[1]))
    m = ESPCN(sd["conv1.weight"].shape[1], scale)
    m.load_state_dict(sd)
    inp = torch.from_numpy(np.load(sys.argv[3]))
    with torch.no_grad():
        got = m(inp).numpy()
    want = np.load(sys.argv[4])
    print(f"MedSR → PyTorch: load_state_dict ok, max |output difference| {np.abs(got - want).max():.2e}")
