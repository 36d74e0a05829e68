#!/usr/bin/env python3
"""Input folders for every build recipe, made from real public images (none made by MedSR).

usage: recipe_inputs.py OUT

Writes OUT/<recipe>/ laid out as that recipe expects:
  figshare-brain-tumour  MATLAB v7.3 cjdata files: axial slices of ITK's real T1 volumes
                         (KmeansTest_T1UCharRaw, KmeansTest_T1RawSkullStrip) and nibabel's
                         anatomical.nii, int16; one patient per slab of 6 slices; the tumour mask
                         is a disc (the images are real, the masks are not).
  nih-chestxray14        images/*.png (8-bit) of the same kinds of real slices plus ITK's 2-D MR
                         PNGs, Data_Entry_2017_v2020.csv with single and multi-label findings,
                         official train_val/test lists by patient.
  dicom-folder           pydicom's test files (real CT, MR, CR, US, NM, RT, SEG… a mixed folder).
  microscopy-slides      tiled pyramidal TIFFs (tifffile) of real colour images: scikit-image's
                         immunohistochemistry slide and fundus photograph (quadrants), ITK's
                         Visible Woman cryosection slices.
  image-folder           ITK's 2-D MR/CT PNGs and rat-lung slices, nibabel's anatomical slices,
                         one folder per source image or slab.
Needs: numpy, Pillow, h5py, tifffile, nibabel, pydicom, scikit-image; Debian's
insighttoolkit5-examples (ITK_DATA, default /usr/share/doc/insighttoolkit5-examples/examples/Data).
"""
import csv
import glob
import os
import shutil
import sys

import h5py
import nibabel
import numpy as np
import pydicom
import skimage
import tifffile
from PIL import Image

out = sys.argv[1]
itk = os.environ.get("ITK_DATA", "/usr/share/doc/insighttoolkit5-examples/examples/Data")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)


def volume(path):
    v = np.asarray(nibabel.load(path).dataobj).astype(np.float32)
    return np.squeeze(v)


def axial(v):
    """Slices along the last axis with enough signal (at least 15% of pixels above 10% of max)."""
    keep = []
    for z in range(v.shape[2]):
        s = v[:, :, z].T[::-1]
        if (s > 0.1 * v.max()).mean() > 0.15:
            keep.append(s)
    return keep


t1 = axial(volume(os.path.join(itk, "KmeansTest_T1UCharRaw.nii.gz")))
stripped = axial(volume(os.path.join(itk, "KmeansTest_T1RawSkullStrip.nii.gz")))
anatomical = axial(volume(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "anatomical.nii")))
volumes = [("t1", t1), ("stripped", stripped), ("anat", anatomical)]
itk_png = ["BrainMidSagittalSlice.png", "BrainProtonDensitySlice.png", "BrainT1Slice.png", "FatMRISlice.png"]


def gray8(a):
    a = a.astype(np.float64)
    lo, hi = np.percentile(a, [0.5, 99.5])
    return np.clip((a - lo) / max(hi - lo, 1e-9) * 255, 0, 255).round().astype(np.uint8)


def itk_slices():
    for name in itk_png:
        yield name[:-4], np.asarray(Image.open(os.path.join(itk, name)).convert("L"))
    for name in ["RatLungSlice1.mha", "RatLungSlice2.mha"]:
        header = open(os.path.join(itk, name), "rb").read().split(b"\n")
        fields = dict(l.split(b" = ", 1) for l in header if b" = " in l)
        dims = [int(x) for x in fields[b"DimSize"].split()]
        types = {b"MET_UCHAR": np.uint8, b"MET_SHORT": np.int16, b"MET_USHORT": np.uint16, b"MET_FLOAT": np.float32}
        raw = np.fromfile(os.path.join(itk, fields[b"ElementDataFile"].decode().strip()), types[fields[b"ElementType"]])
        yield name[:-4], gray8(raw.reshape(dims[1], dims[0]))


# figshare-brain-tumour ---------------------------------------------------------------------
def matlab_v73(path, image, mask, label, pid):
    with h5py.File(path, "w", userblock_size=512) as f:
        g = f.create_group("cjdata")
        # MATLAB stores column-major: h5py sees the transpose.
        g.create_dataset("image", data=image.T.astype(np.int16))
        g.create_dataset("tumorMask", data=mask.T.astype(np.uint8))
        g.create_dataset("label", data=np.array([[float(label)]]))
        g.create_dataset("PID", data=np.array([[ord(c)] for c in pid], dtype=np.uint16))
        g.create_dataset("tumorBorder", data=np.zeros((1, 4)))
    with open(path, "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .".ljust(116))
        f.write(b"\x00" * 8 + b"\x00\x02" + b"IM")


d = os.path.join(out, "figshare-brain-tumour")
os.makedirs(d)
n = 0
for name, slices in volumes:
    for i, s in enumerate(slices):
        n += 1
        yy, xx = np.mgrid[: s.shape[0], : s.shape[1]]
        cy, cx = np.array(np.nonzero(s > 0.3 * s.max())).mean(axis=1)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < (min(s.shape) / 8) ** 2
        matlab_v73(os.path.join(d, f"{n}.mat"), np.round(s * (1000 / max(s.max(), 1))), mask, 1 + (i // 6) % 3,
                   f"{name}{i // 6:02d}")

# nih-chestxray14 ---------------------------------------------------------------------------
d = os.path.join(out, "nih-chestxray14")
os.makedirs(os.path.join(d, "images"))
findings = ["No Finding", "Atelectasis", "Effusion", "Atelectasis|Effusion", "Mass|Nodule", "No Finding"]
rows, patients = [], []
pid = 0
sources = [(name, [gray8(s) for s in slices]) for name, slices in volumes] + [(n_, [a]) for n_, a in itk_slices()]
for name, images in sources:
    for i, a in enumerate(images):
        if i % 6 == 0:
            pid += 1
        file = f"{pid:08d}_{i % 6:03d}.png"
        Image.fromarray(a).save(os.path.join(d, "images", file))
        rows.append([file, findings[(pid + i) % len(findings)], i % 6, pid, "050Y", "M", "PA", a.shape[1], a.shape[0], 0.2, 0.2])
        patients.append(pid)
with open(os.path.join(d, "Data_Entry_2017_v2020.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Image Index", "Finding Labels", "Follow-up #", "Patient ID", "Patient Age", "Patient Gender", "View Position",
                "OriginalImage[Width", "Height]", "OriginalImagePixelSpacing[x", "y]"])
    w.writerows(rows)
with open(os.path.join(d, "BBox_List_2017.csv"), "w") as f:
    f.write("Image Index,Finding Label,Bbox [x,y,w,h],,,\n")
test = {p for p in set(patients) if p % 6 == 0}
with open(os.path.join(d, "train_val_list.txt"), "w") as f:
    f.write("".join(r[0] + "\n" for r in rows if r[3] not in test))
with open(os.path.join(d, "test_list.txt"), "w") as f:
    f.write("".join(r[0] + "\n" for r in rows if r[3] in test))

# dicom-folder ------------------------------------------------------------------------------
d = os.path.join(out, "dicom-folder")
os.makedirs(d)
for f in glob.glob(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "*.dcm")):
    shutil.copy(f, d)

# microscopy-slides -------------------------------------------------------------------------
d = os.path.join(out, "microscopy-slides")
os.makedirs(d)
data = os.path.dirname(skimage.data.__file__)
colour = []
ihc = np.asarray(Image.open(os.path.join(data, "ihc.png")).convert("RGB"))
colour += [("ihc_q%d" % k, ihc[(k // 2) * 256:(k // 2 + 1) * 256, (k % 2) * 256:(k % 2 + 1) * 256]) for k in range(4)]
retina = np.asarray(Image.open(os.path.join(data, "retina.jpg")).convert("RGB"))
h = retina.shape[0] // 2
colour += [("retina_q%d" % k, retina[(k // 2) * h:(k // 2 + 1) * h, (k % 2) * h:(k % 2 + 1) * h]) for k in range(4)]
for name in ["VisibleWomanEyeSlice.png", "VisibleWomanHeadSlice.png"]:
    colour.append((name[:-4], np.asarray(Image.open(os.path.join(itk, name)).convert("RGB"))))
for name, a in colour:
    with tifffile.TiffWriter(os.path.join(d, name + ".tif")) as w:
        w.write(a, tile=(64, 64), photometric="rgb", compression="zlib", subifds=1)
        w.write(a[::2, ::2], tile=(64, 64), photometric="rgb", compression="zlib", subfiletype=1)

# image-folder ------------------------------------------------------------------------------
d = os.path.join(out, "image-folder")
for name, a in itk_slices():
    os.makedirs(os.path.join(d, name))
    Image.fromarray(a).save(os.path.join(d, name, name + ".png"))
for name, slices in [("stripped", stripped), ("anat", anatomical)]:
    for i, s in enumerate(slices):
        folder = os.path.join(d, f"{name}{i // 6:02d}")
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(np.clip(s, 0, 65535).astype(np.uint16)).save(os.path.join(folder, f"z{i:03d}.png"))
print(f"inputs in {out}: " + ", ".join(f"{r} {len(os.listdir(os.path.join(out, r)))}" for r in sorted(os.listdir(out))))
