#!/usr/bin/env python3
"""DICOM series → .nii.gz: medsr against dcm2niix, whole process, side by side in one run.

usage: .venv-ref/bin/python Tools/bench/bench_nifti.py MEDSR [SLICES] [ROUNDS]
  (a venv with pydicom and numpy; Debian's dcm2niix on the PATH)

The series: SLICES (default 200) axial 512x512 int16 CT slices made from pydicom's CT_small.dcm
(a real CT slice, tiled 4x4 with per-tile and per-slice shifts so slices differ). Runs alternate
medsr and dcm2niix ROUNDS times (default 5); prints each time, the medians and the ratio
dcm2niix / medsr (> 1: medsr faster). dcm2niix runs as users run it (-z y: gzip through pigz
when installed, which Debian's package pulls in); medsr writes gzip with nifticlib's zlib.
"""
import copy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
from pydicom.data import get_testdata_file

medsr = os.path.abspath(sys.argv[1])
slices = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
work = tempfile.mkdtemp(prefix="medsr-bench-nifti-")
series = os.path.join(work, "ct")
os.makedirs(series)
ds0 = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
base = ds0.pixel_array
uid = pydicom.uid.generate_uid(entropy_srcs=["bench"])
for k in range(slices):
    ds = copy.deepcopy(ds0)
    tiles = [[np.roll(base, (k + 3 * r + c) * 5, axis=(r + c) % 2) for c in range(4)] for r in range(4)]
    pixels = np.block(tiles).astype(base.dtype)
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["bench", str(k)])
    ds.SeriesInstanceUID = uid
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [-150.0, -150.0, -100.0 + 1.25 * k]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.6, 0.6]
    ds.SliceThickness = 1.25
    ds.save_as(os.path.join(series, f"IM{k:04d}.dcm"))
size = sum(os.path.getsize(os.path.join(series, f)) for f in os.listdir(series))
print(f"series: {slices} slices of 512x512 int16 ({size / 2**20:.0f} MiB) in {series}")


def run(cmd, out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


ours, theirs = [], []
for i in range(rounds):
    ours.append(run([medsr, "convert", series, os.path.join(work, "m", "ct.nii.gz")], os.path.join(work, "m")))
    theirs.append(run(["dcm2niix", "-z", "y", "-f", "ct", "-o", os.path.join(work, "d"), series], os.path.join(work, "d")))
    print(f"round {i + 1}: medsr {ours[-1]:.3f} s   dcm2niix {theirs[-1]:.3f} s")
m, d = statistics.median(ours), statistics.median(theirs)
print(f"median: medsr {m:.3f} s, dcm2niix {d:.3f} s; dcm2niix / medsr = {d / m:.2f}x")
shutil.rmtree(work)
