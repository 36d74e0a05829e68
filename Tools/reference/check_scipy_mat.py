#!/usr/bin/env python3
"""Every MAT file of scipy's own test data against scipy.io.loadmat.

usage: check_scipy_mat.py MEDSR [DATA_DIR]   (DATA_DIR: scipy/io/matlab/tests/data by default)

A file whose only variable is a real, dense, numeric or logical 2-D array must convert (to
.npy) with values equal to loadmat's (as float32 when MATLAB stored double: MedSR's pixel
model); a file with several such variables must say so and read each with --variable NAME;
any other file (structs, cells, strings, complex, sparse, damaged) must fail with one line
naming the file, exit status 1, and no traceback. Prints one line per file; exit 1 on failure.
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io

medsr = sys.argv[1]
data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(scipy.io.__file__), "matlab", "tests", "data")
failures = 0
counts = {"read": 0, "refused": 0}


def numeric_2d(v):
    return (isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and v.ndim == 2 and v.size > 0)


def convert(path, out, *extra):
    return subprocess.run([medsr, "convert", path, out, "--format", "npy", *extra], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as work:
    for path in sorted(glob.glob(os.path.join(data, "*.mat"))):
        name = os.path.basename(path)
        try:
            ref = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
        except NotImplementedError:  # v7.3 (HDF5): scipy does not read it; MedSR's own tests do
            print(f"skip {name}: scipy does not read MATLAB v7.3")
            continue
        except Exception:  # scipy refuses it: we must refuse in one line
            ref = None
        candidates = {k: v for k, v in (ref or {}).items() if numeric_2d(v)}
        # A numeric variable among others (strings, structs) is read with --variable; a file with
        # exactly one variable is read without.
        plans = ([(k, []) for k in candidates] if len(ref or {}) == 1 else
                 [(k, ["--variable", k]) for k in candidates])
        if not plans:
            r = convert(path, os.path.join(work, "x.npy"))
            lines = r.stderr.strip().splitlines()
            ok = r.returncode == 1 and len(lines) == 1 and name in lines[0] and "Traceback" not in r.stderr
            counts["refused"] += ok
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: refused: {lines[0] if lines else '(no message)'} (exit {r.returncode})")
            continue
        for var, extra in plans:
            out = os.path.join(work, "x.npy")
            if os.path.exists(out):
                os.remove(out)
            r = convert(path, out, *extra)
            expected = candidates[var]
            if r.returncode != 0:
                failures += 1
                print(f"FAIL {name} {var}: exit {r.returncode}: {r.stderr.strip()[:200]}")
                continue
            got = np.load(out)
            want = expected.astype(np.float32) if expected.dtype.kind == "f" and expected.itemsize == 8 else expected
            if expected.dtype == np.bool_:
                want = expected.astype(np.uint8)
            ok = got.shape == want.shape and np.array_equal(got.astype(np.float64), want.astype(np.float64))
            counts["read"] += ok
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} {var}: {got.dtype}{list(got.shape)} vs scipy {expected.dtype}{list(expected.shape)}")
print(f"scipy MAT files: {counts['read']} variables read equal, {counts['refused']} files refused in one line, {failures} failures")
sys.exit(1 if failures else 0)
