#!/usr/bin/env python3
"""MedSR readers against their Python peers, interleaved in one run on the same files.

usage: bench.py MEDSR_BENCH DATA_DIR

Each round times our reader (in-process, inside medsr-bench, best of REPEAT passes) and then
the peer (in-process here, best of REPEAT passes), on the same files; five rounds alternate so
that the host's slow/fast phases hit both. Both sides decode single-threaded into an array.
Prints both figures per round, the median of each and the median ratio.
"""
import os
import statistics
import subprocess
import sys
import time
import warnings

import h5py
import numpy as np
import pydicom
import tifffile
import zarr
from PIL import Image
from pydicom.uid import JPEG2000Lossless, RLELossless

warnings.filterwarnings("ignore")
BENCH, DATA = sys.argv[1], sys.argv[2]
FIX = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures")
ROUNDS, REPEAT = 5, 3


def best_of(fn, files):
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        n = sum(fn(f) for f in files)
        best = min(best, time.perf_counter() - t)
    return best, n


def ours(args, files):
    out = subprocess.run([BENCH, *args, str(REPEAT), *files], capture_output=True, text=True, check=True)
    seconds, nbytes = out.stdout.split()
    return float(seconds), int(nbytes)


def report(title, goal, files, ours_args, peer_name, peer_fn, unit="MB/s"):
    rows = []
    for _ in range(ROUNDS):
        s_ours, b_ours = ours(ours_args, files)
        s_peer, b_peer = best_of(peer_fn, files)
        rows.append((b_ours / s_ours / 1e6, b_peer / s_peer / 1e6))
    print(f"\n{title}  ({len(files)} files, {b_ours / 1e6:.2f} MB decoded per pass; peer decoded {b_peer / 1e6:.2f} MB)")
    for i, (a, b) in enumerate(rows):
        print(f"  round {i + 1}: MedSR {a:8.1f} {unit}   {peer_name} {b:8.1f} {unit}   ratio {a / b:5.2f}")
    ratio = statistics.median(a / b for a, b in rows)
    print(f"  median: MedSR {statistics.median(a for a, _ in rows):.1f} {unit}, {peer_name} "
          f"{statistics.median(b for _, b in rows):.1f} {unit}, ratio {ratio:.2f}x (goal >= {goal}x)")


def make_dicom():
    """512x512 16-bit MR slices (real ITK/figshare-fixture pixels) in several transfer syntaxes."""
    out = os.path.join(DATA, "dicom")
    if os.path.isdir(out):
        return sorted(os.path.join(out, f) for f in os.listdir(out))
    os.makedirs(out)
    src = pydicom.dcmread(os.path.join(FIX, "dicom", "series", "a.dcm"))
    img = np.asarray(Image.fromarray(src.pixel_array.astype(np.float32)).resize((512, 512), Image.BICUBIC))
    img = np.clip(img, 0, 4095).astype(np.uint16)
    src.Rows, src.Columns, src.PixelData = 512, 512, img.tobytes()
    base = os.path.join(out, "native.dcm")
    src.save_as(base)
    subprocess.run(["dcmcrle", base, os.path.join(out, "rle.dcm")], check=True)
    subprocess.run(["dcmcjpeg", "+e1", base, os.path.join(out, "jpeg_lossless.dcm")], check=True)
    subprocess.run(["dcmcjpls", base, os.path.join(out, "jpegls.dcm")], check=True)
    j2k = pydicom.dcmread(base)
    j2k.compress(JPEG2000Lossless)
    j2k.save_as(os.path.join(out, "j2k.dcm"))
    return sorted(os.path.join(out, f) for f in os.listdir(out))


def make_tiff():
    path = os.path.join(DATA, "slide2048.tif")
    if not os.path.exists(path):
        ihc = Image.open(os.path.join(FIX, "tiff", "strips_packbits_rgb.tif")).convert("RGB")
        big = np.asarray(ihc.resize((2048, 2048), Image.BICUBIC))
        tifffile.imwrite(path, big, tile=(256, 256), compression="jpeg", photometric="rgb")
    return path


def make_jpeg():
    """A Kermany-like grey chest X-ray JPEG (the 1024x1024 NIH fixture radiograph, quality 90)
    and a colour 4:2:0 JPEG of the same size (the IHC slide fixture, upscaled)."""
    gray, colour = os.path.join(DATA, "xray1024.jpg"), os.path.join(DATA, "ihc1024.jpg")
    if not os.path.exists(gray):
        Image.open(os.path.join(FIX, "png", "nih", "images", "00000001_000.png")).convert("L").save(gray, quality=90)
    if not os.path.exists(colour):
        ihc = Image.open(os.path.join(FIX, "tiff", "strips_packbits_rgb.tif")).convert("RGB")
        ihc.resize((1024, 1024), Image.BICUBIC).save(colour, quality=90)
    return gray, colour


def main():
    os.makedirs(DATA, exist_ok=True)
    print("MedSR vs Python peers; single-threaded decoding on both sides; best of", REPEAT,
          "passes per round,", ROUNDS, "interleaved rounds")

    files = make_dicom()
    def pyd(f):
        return pydicom.dcmread(f).pixel_array.nbytes
    report("DICOM decode (native, RLE, JPEG lossless, JPEG-LS, JPEG 2000; 512x512 16-bit)", 5, files,
           ["read"], "pydicom+pylibjpeg", pyd)
    # Where the time goes: each syntax on its own (median of ROUNDS interleaved rounds).
    print("  by transfer syntax (ms per file, median of rounds):")
    for f in files:
        times = [(ours(["read"], [f])[0], best_of(pyd, [f])[0]) for _ in range(ROUNDS)]
        a, b = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
        print(f"    {os.path.basename(f):20s} MedSR {a * 1e3:7.2f}   pydicom+pylibjpeg {b * 1e3:7.2f}   ratio {b / a:5.2f}")

    mats = [os.path.join(FIX, "mat", "figshare", f"{i}.mat") for i in (1, 2, 3)]
    def h5(f):
        with h5py.File(f, "r") as h:
            g = h["cjdata"]
            image = np.array(g["image"]).T
            mask = np.array(g["tumorMask"]).T
            _ = float(np.array(g["label"]).ravel()[0])
            _ = "".join(chr(c) for c in np.array(g["PID"]).ravel())
            return image.nbytes + mask.nbytes
    report("figshare .mat record (v7.3: image, mask, label, PID)", 1, mats, ["figshare"], "h5py", h5)

    png = [os.path.join(FIX, "png", "nih", "images", "00000001_000.png")]
    report("PNG decode, 1024x1024 8-bit gray", 1, png, ["read"], "Pillow",
           lambda f: np.asarray(Image.open(f)).nbytes)

    for path, what in zip(make_jpeg(), ("8-bit gray chest X-ray", "colour 4:2:0")):
        # Eight decodes per pass: one takes a few milliseconds, too short to time alone.
        report(f"JPEG decode, 1024x1024 {what}", 1, [path] * 8, ["read"], "Pillow",
               lambda f: np.asarray(Image.open(f)).nbytes)

    tif = make_tiff()
    def region(f):
        z = zarr.open(tifffile.imread(f, aszarr=True), mode="r")
        return np.asarray(z[900:1412, 700:1212]).nbytes
    report("512x512 region of a 2048x2048 JPEG-tiled TIFF", 2, [tif], ["region", "700,900,512,512"],
           "tifffile+zarr", region)


if __name__ == "__main__":
    main()
