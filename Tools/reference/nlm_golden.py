#!/usr/bin/env python3
"""Golden outputs of scikit-image's non-local means and scipy's median filter for MedImage tests.

usage: nlm_golden.py FIXTURES        (scikit-image 0.26, scipy 1.17, numpy 2.4 were used)

Inputs are real images from scikit-image's data module, stored as float32 .npy in [0, 1]
(the references run on exactly those float32 values):
- camera_noisy: a 48x48 crop of skimage.data.camera() (rows 100:148, columns 200:248) plus
  Gaussian noise of sigma 0.08 (numpy default_rng(18)), not clipped;
- camera_tiny: its top-left 8x8 corner (padding wider than the image: reflect repeats);
- astronaut_noisy: a 24x24x3 crop of skimage.data.astronaut() (rows 30:54, columns 200:224) plus
  noise of sigma 0.06 (default_rng(19)).
Writes FIXTURES/restore/*.npy (float32 outputs) and golden.json naming each case's input,
parameters and output:
- nlm_*: denoise_nl_means(x, patch_size, patch_distance, h, sigma, fast_mode=True
  [, channel_axis=-1]);
- median_k: scipy.ndimage.median_filter(x, size=k, mode="reflect").
"""
import json
import os
import sys

import numpy as np
import scipy.ndimage as ndi
import skimage
from skimage import data
from skimage.restoration import denoise_nl_means

out = os.path.join(sys.argv[1], "restore")
os.makedirs(out, exist_ok=True)


def save(name, array):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(array, dtype=np.float32))


camera = data.camera()[100:148, 200:248].astype(np.float64) / 255
noisy = (camera + np.random.default_rng(18).normal(0, 0.08, camera.shape)).astype(np.float32)
save("camera_noisy", noisy)
tiny = np.ascontiguousarray(noisy[:8, :8])
save("camera_tiny", tiny)
astro = data.astronaut()[30:54, 200:224].astype(np.float64) / 255
astro_noisy = (astro + np.random.default_rng(19).normal(0, 0.06, astro.shape)).astype(np.float32)
save("astronaut_noisy", astro_noisy)

inputs = {"camera_noisy": noisy, "camera_tiny": tiny, "astronaut_noisy": astro_noisy}
cases = []
for name, source, patch, dist, h, sigma in [
    ("nlm_default", "camera_noisy", 7, 11, 0.1, 0.0),
    ("nlm_sigma", "camera_noisy", 5, 6, 0.06, 0.08),
    ("nlm_even", "camera_noisy", 4, 3, 0.12, 0.0),
    ("nlm_tiny", "camera_tiny", 5, 11, 0.1, 0.0),
    ("nlm_rgb", "astronaut_noisy", 5, 4, 0.08, 0.03),
]:
    x = inputs[source]
    kwargs = dict(patch_size=patch, patch_distance=dist, h=h, sigma=sigma, fast_mode=True)
    if x.ndim == 3:
        kwargs["channel_axis"] = -1
    y = denoise_nl_means(x, **kwargs)
    save(name, y)
    cases.append(dict(name=name, input=source, patch_size=patch, patch_distance=dist, h=h, sigma=sigma))
for k in (3, 5):
    save(f"median_{k}", ndi.median_filter(noisy, size=k, mode="reflect"))
    cases.append(dict(name=f"median_{k}", input="camera_noisy", size=k))
with open(os.path.join(out, "golden.json"), "w") as f:
    json.dump(dict(skimage=skimage.__version__, cases=cases), f, indent=1)
print("wrote", len(cases), "cases to", out)
