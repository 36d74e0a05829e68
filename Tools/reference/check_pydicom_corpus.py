#!/usr/bin/env python3
"""Check `medsr convert --values stored --format npy` against pydicom on a DICOM corpus.

usage: check_pydicom_corpus.py MEDSR DIR...

For every file: if pydicom decodes it, MedSR must decode it too, bit-exact for lossless
transfer syntaxes and within +-2 levels of at least one of pydicom's decoding plugins for
lossy ones (decoders differ in rounding and chroma upsampling). If pydicom cannot decode it,
MedSR must fail with a one-line error (exit status 1), never crash. Prints one line per file
and a closing 'N passed, N failed' line; exits 1 on any failure.
"""
import glob
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom

warnings.filterwarnings("ignore")
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
         "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203"}
PLUGINS = ["pylibjpeg", "pillow", "gdcm", "pyjpegls", None]
# Files pydicom decodes that MedSR refuses, each with the reason; MedSR must still give a
# one-line error for them. Listed here so that nothing else can regress silently.
KNOWN_REFUSALS = {
    "SC_rgb_jpeg.dcm": "its meta header says explicit VR but the data set is implicit VR; "
                       "pydicom guesses, DCMTK refuses the file",
}


def pydicom_arrays(path):
    """pydicom's pixel_array from every plugin that can decode the file."""
    out = []
    for plugin in PLUGINS:
        try:
            ds = pydicom.dcmread(path, force=True)
            if "PixelData" not in ds:
                return ds, []
            if plugin:
                ds.pixel_array_options(decoding_plugin=plugin)
            arr = ds.pixel_array
            frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
            if frames == 1:
                arr = arr[np.newaxis, ...]
            if ds.SamplesPerPixel == 1:
                arr = arr[..., np.newaxis]
            out.append(arr)
        except Exception:  # noqa: BLE001
            continue
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception:  # noqa: BLE001
        ds = None
    return ds, out


def main():
    medsr, dirs = sys.argv[1], sys.argv[2:]
    files = sorted(f for d in dirs for f in glob.glob(os.path.join(d, "**", "*"), recursive=True)
                   if os.path.isfile(f) and not f.endswith((".json", ".txt", ".dump", ".gz", ".icc")))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            name = os.path.relpath(path, dirs[0])
            ds, arrays = pydicom_arrays(path)
            out = os.path.join(tmp, "x.npy")
            if os.path.exists(out):
                os.remove(out)
            run = subprocess.run([medsr, "convert", path, out, "--values", "stored", "--format", "npy",
                                  "--frame", "all"], capture_output=True, text=True, timeout=120)
            if run.returncode < 0 or run.returncode > 3:
                print(f"FAIL {name}: medsr crashed (status {run.returncode})")
                failed += 1
                continue
            if not arrays:
                lines = run.stderr.strip().splitlines()
                if run.returncode == 0:
                    print(f"note {name}: pydicom cannot decode it; medsr can")
                    passed += 1
                elif len(lines) == 1:
                    print(f"ok   {name}: both refuse ({lines[0][:100]})")
                    passed += 1
                else:
                    print(f"FAIL {name}: error is not one line: {run.stderr!r}")
                    failed += 1
                continue
            if run.returncode != 0 and os.path.basename(path) in KNOWN_REFUSALS:
                one_line = len(run.stderr.strip().splitlines()) == 1
                print(f"{'known' if one_line else 'FAIL '} {name}: {KNOWN_REFUSALS[os.path.basename(path)]}")
                passed += one_line
                failed += not one_line
                continue
            if run.returncode != 0:
                print(f"FAIL {name}: pydicom decodes it, medsr says {run.stderr.strip()[:160]}")
                failed += 1
                continue
            ours = np.load(out)
            ours = ours.reshape(arrays[0].shape) if ours.size == arrays[0].size else ours
            lossy = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "")) in LOSSY
            diffs = [int(np.max(np.abs(ours.astype(np.int64) - a.astype(np.int64)))) if a.shape == ours.shape else None
                     for a in arrays]
            best = min((d for d in diffs if d is not None), default=None)
            tolerance = 2 if lossy else 0
            if best is not None and best <= tolerance:
                print(f"ok   {name}: {'lossy, max diff ' + str(best) if lossy else 'bit-exact'}")
                passed += 1
            else:
                print(f"FAIL {name}: shape {ours.shape} vs {arrays[0].shape}, max diff per plugin {diffs}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
