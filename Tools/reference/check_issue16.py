#!/usr/bin/env python3
"""Compare `medsr` with pydicom / tifffile on the real public files of issue 16.

usage: check_issue16.py MEDSR

Needs a venv with pydicom, pydicom-data, nibabel, scikit-image, tifffile, numpy. Files:
pydicom-data's explicit_VR-UN.dcm (every element VR UN), nibabel's philips_mprage.dcm.gz
(enhanced MR, 176 frames, per-frame functional groups) and siemens_dwi_{0,1000}.dcm.gz (one
series, b-values 0 and 1000 at one position), scikit-image's multipage.tif (two pages).
Prints one line per check and exits 1 when any disagrees.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import nibabel
import numpy as np
import pydicom
import skimage
import tifffile
from data_store import __file__ as _pydicom_data  # the pydicom-data package

MEDSR = sys.argv[1]
DATA = os.path.join(os.path.dirname(_pydicom_data), "data")
NIB = os.path.join(os.path.dirname(nibabel.__file__), "nicom", "tests", "data")
SKI = os.path.join(os.path.dirname(skimage.__file__), "data")
failures = 0


def check(name, ok, detail=""):
    global failures
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def medsr(*args):
    out = subprocess.run([MEDSR, *args], capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


def find(name):
    for root, _, files in os.walk(DATA):
        if name in files:
            return os.path.join(root, name)
    raise SystemExit(f"{name} not found under {DATA}")


with tempfile.TemporaryDirectory() as tmp:
    # VR UN
    un = find("explicit_VR-UN.dcm")
    ref = pydicom.dcmread(un)
    _, out, _ = medsr("inspect", un, "--json")
    d = json.loads(out)
    check("UN modality", d.get("modality") == ref.Modality, f"{d.get('modality')} vs {ref.Modality}")
    check("UN pixel spacing", d.get("pixelSpacingMM") == [float(v) for v in ref.PixelSpacing])

    # Enhanced multi-frame: spacing and per-frame rescale of frame 100
    mprage = os.path.join(tmp, "philips_mprage.dcm")
    with gzip.open(os.path.join(NIB, "philips_mprage.dcm.gz")) as src, open(mprage, "wb") as dst:
        dst.write(src.read())
    ref = pydicom.dcmread(mprage)
    frame = ref.PerFrameFunctionalGroupsSequence[100]
    spacing = [float(v) for v in frame.PixelMeasuresSequence[0].PixelSpacing]
    transform = frame.PixelValueTransformationSequence[0]
    expected = ref.pixel_array[100].astype(np.float64) * float(transform.RescaleSlope) + float(transform.RescaleIntercept)
    _, out, _ = medsr("inspect", mprage, "--json")
    d = json.loads(out)
    check("enhanced spacing", d.get("pixelSpacingMM") == spacing, f"{d.get('pixelSpacingMM')} vs {spacing}")
    check("enhanced rescale slope", abs(d.get("rescale", {}).get("slope", 1) - float(transform.RescaleSlope)) < 1e-9)
    npy = os.path.join(tmp, "f100.npy")
    rc, _, err = medsr("convert", mprage, npy, "--frame", "100", "--values", "modality")
    got = np.load(npy) if rc == 0 else None
    check("enhanced frame 100 modality values", got is not None and np.allclose(got, expected, atol=1e-3),
          err.strip())

    # DWI: two b-values at one position are two stacks, not duplicates
    dwi = os.path.join(tmp, "dwi")
    os.makedirs(dwi)
    for b in ("0", "1000"):
        with gzip.open(os.path.join(NIB, f"siemens_dwi_{b}.dcm.gz")) as src, open(os.path.join(dwi, f"b{b}.dcm"), "wb") as dst:
            dst.write(src.read())
    _, out, _ = medsr("inspect", dwi, "--json")
    s = json.loads(out)["series"][0]
    check("DWI stacks", [x["name"] for x in s["stacks"]] == ["b-value 0", "b-value 1000"] and not s["duplicates"],
          json.dumps(s["stacks"]))

    # Multi-page TIFF
    tif = os.path.join(SKI, "multipage.tif")
    with tifffile.TiffFile(tif) as t:
        pages = [p.asarray() for p in t.pages]
    _, out, _ = medsr("inspect", tif, "--json")
    check("TIFF frames", json.loads(out).get("frames") == len(pages))
    for k in range(len(pages)):
        npy = os.path.join(tmp, f"page{k}.npy")
        rc, _, err = medsr("convert", tif, npy, "--frame", str(k))
        check(f"TIFF page {k}", rc == 0 and np.array_equal(np.load(npy), pages[k]), err.strip())
    rc, _, err = medsr("convert", tif, os.path.join(tmp, "x.png"), "--frame", str(len(pages)))
    check("TIFF missing frame refused", rc != 0 and "does not exist" in err, err.strip())

sys.exit(1 if failures else 0)
