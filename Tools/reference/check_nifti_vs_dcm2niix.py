#!/usr/bin/env python3
"""medsr's DICOM series → NIfTI against dcm2niix's, compared in world space (FACTS.md).

usage: .venv-ref/bin/python Tools/reference/check_nifti_vs_dcm2niix.py MEDSR [SERIES_DIR...]
  (a venv with nibabel, numpy and pydicom; Debian's dcm2niix on the PATH)

Both outputs are loaded with nibabel and brought to the closest canonical (RAS) orientation;
they must hold the same values after scl_slope/scl_inter on the same grid, with affines equal
within 1e-3 mm. Voxel order on disk may differ. Without SERIES_DIR arguments it checks:
- the three slices at 0, 3 and 6 mm (a contiguous run) of Fixtures/dicom/series (MR, 128x128);
- series made here from pydicom's CT_small.dcm (a real CT slice, public test data): 12 axial
  slices whose pixels differ (shifted), the same tilted to an oblique orientation, a sagittal
  stack, and a stack in reverse file order with negative slice steps;
and that a series with a gap (all of Fixtures/dicom/series) is refused.
The sidecar must name no patient (PatientName, PatientID, dates, UIDs).
Exit status 0 when every check passes.
"""
import copy
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import pydicom
from pydicom.data import get_testdata_file

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")


def make_series(out, n, iop, step, shift=3, reverse=False, src=None):
    """n slices of pydicom's CT_small.dcm along the normal of `iop`, `step` mm apart."""
    ds0 = pydicom.dcmread(src or get_testdata_file("CT_small.dcm"))
    os.makedirs(out, exist_ok=True)
    row, col = np.array(iop[:3], float), np.array(iop[3:], float)
    normal = np.cross(row, col)
    origin = np.array([-60.0, -80.0, 20.0])
    base = ds0.pixel_array
    for k in range(n):
        ds = copy.deepcopy(ds0)
        ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[out, str(k)])
        ds.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[out])
        ds.InstanceNumber = k + 1
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in iop]
        pos = origin + k * step * normal
        ds.ImagePositionPatient = [f"{v:.4f}" for v in pos]
        ds.SliceLocation = f"{k * step:.4f}"
        ds.SliceThickness = f"{abs(step)}"
        ds.PixelData = np.roll(base, k * shift, axis=1).astype(base.dtype).tobytes()
        name = f"IM{(n - 1 - k) if reverse else k:04d}.dcm"
        ds.save_as(os.path.join(out, name))
    return out


def canonical(path):
    img = nib.as_closest_canonical(nib.load(path))
    return img.get_fdata(dtype=np.float64), img.affine


def compare(medsr, series, work):
    name = os.path.basename(series.rstrip("/"))
    ours = os.path.join(work, name + "_medsr.nii.gz")
    theirs_dir = os.path.join(work, name + "_dcm2niix")
    os.makedirs(theirs_dir, exist_ok=True)
    r = subprocess.run([medsr, "convert", series, ours], capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"medsr failed: {r.stderr.strip()}"
    subprocess.run(["dcm2niix", "-z", "y", "-f", "ref", "-o", theirs_dir, series], capture_output=True, check=True)
    refs = sorted(glob.glob(os.path.join(theirs_dir, "ref*.nii.gz")))
    if len(refs) != 1:
        return False, f"dcm2niix wrote {len(refs)} volumes"
    a, aa = canonical(ours)
    b, ba = canonical(refs[0])
    if a.shape != b.shape:
        return False, f"shape {a.shape} vs dcm2niix {b.shape}"
    diff = float(np.max(np.abs(aa - ba)))
    same = np.array_equal(a, b)
    sidecar = json.load(open(ours[:-7] + ".json"))
    leaked = [k for k in sidecar if k.startswith("Patient") or any(w in k for w in ("Date", "Time", "UID", "Institution", "Physician"))
              and k not in ("RepetitionTime", "EchoTime", "InversionTime")]
    ok = same and diff <= 1e-3 and not leaked
    return ok, (f"{a.shape}, voxels {'equal' if same else 'DIFFER (max %g)' % np.max(np.abs(a - b))}, "
                f"affine max diff {diff:.2e} mm, orientation {''.join(nib.aff2axcodes(nib.load(ours).affine))} "
                f"(dcm2niix {''.join(nib.aff2axcodes(nib.load(refs[0]).affine))})"
                + (f", sidecar leaks {leaked}" if leaked else ""))


def main():
    medsr = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="medsr-nifti-")
    series = sys.argv[2:]
    failures = 0
    if not series:
        fx = os.path.join(root, "Fixtures", "dicom", "series")
        # Ordered along the normal (z here): slices at 0, 3, 6 mm are a contiguous run, 12 follows a gap.
        ordered = sorted(glob.glob(os.path.join(fx, "*.dcm")), key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))
        run = os.path.join(work, "mr_run")
        os.makedirs(run)
        for p in ordered[:3]:
            os.symlink(os.path.abspath(p), os.path.join(run, os.path.basename(p)))
        c, s = math.cos(math.radians(20)), math.sin(math.radians(20))
        series = [
            run,
            make_series(os.path.join(work, "ct_axial"), 12, [1, 0, 0, 0, 1, 0], 2.5),
            make_series(os.path.join(work, "ct_oblique"), 12, [1, 0, 0, 0, c, s], 2.0),
            make_series(os.path.join(work, "ct_sagittal"), 8, [0, 1, 0, 0, 0, -1], 1.5),
            make_series(os.path.join(work, "ct_reversed"), 10, [1, 0, 0, 0, 1, 0], -3.0, reverse=True),
        ]
        # A series with a gap is refused with one line, and nothing is written.
        gap_out = os.path.join(work, "gap.nii.gz")
        r = subprocess.run([medsr, "convert", fx, gap_out], capture_output=True, text=True)
        refused = r.returncode == 1 and "gap" in r.stderr and not os.path.exists(gap_out)
        print(f"{'ok  ' if refused else 'FAIL'} series with a gap refused: {r.stderr.strip()}")
        failures += not refused
    for s in series:
        ok, text = compare(medsr, s, work)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {os.path.basename(s.rstrip('/'))}: {text}")
    # An irregular run (6, 12, 15 mm: steps 6 and 3) is refused too.
    if len(sys.argv) == 2:
        odd = os.path.join(work, "mr_uneven")
        os.makedirs(odd)
        for p in ordered[2:]:
            os.symlink(os.path.abspath(p), os.path.join(odd, os.path.basename(p)))
        r = subprocess.run([medsr, "convert", odd, os.path.join(work, "odd.nii.gz")], capture_output=True, text=True)
        refused = r.returncode == 1 and "regular grid" in r.stderr
        print(f"{'ok  ' if refused else 'FAIL'} uneven spacing refused: {r.stderr.strip()}")
        failures += not refused
    print(f"nifti vs dcm2niix: {failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
