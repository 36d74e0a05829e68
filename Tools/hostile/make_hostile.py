#!/usr/bin/env python3
"""Hostile inputs for the resource-bound check (standard library only).

usage: make_hostile.py OUT

- huge.png: IHDR claims 2^31-1 x 2^31-1 pixels;
- tiles.tif: a tiled TIFF claiming 2^31-1 x 2^31-1 pixels in 256x256 tiles (2^30+ tiles);
- huge.dcm: explicit VR little endian, Rows = Columns = 65535, 10000 frames, 4 bytes of pixel data;
- bomb.dcm: deflated explicit VR little endian whose 1 MB of zeros inflates to 1 GiB;
- shapes.safetensors: a header claiming a [2^31, 2^31] F32 tensor;
- huge65535.jpg / huge65500.jpg: a JPEG frame header claiming 65535 x 65535 (over libjpeg's
  limit) / 65500 x 65500 x 3 (libjpeg's largest; 12 GB of pixels), then a scan of a few bytes;
- lying.bmp: a 24-bit BMP whose header claims 30000 x 30000 (2.7 GB, under the 4 GiB budget)
  over 64 bytes of pixel data; huge.bmp: one claiming 2^31-1 x 2^31-1;
- huge_v4.mat: a MATLAB v4 matrix header claiming 2^31-1 x 2^31-1 doubles;
- huge.nii: a NIfTI-1 header claiming 2048 x 1024 x 1024 (2^31) float32 voxels (8 GiB), no voxels;
- huge_u8.nii.gz: the same as uint8 (2 GiB, under the default budget), gzipped: nothing says how
  much it inflates to before reading;
- truncated.nii: a 64^3 int16 header followed by 1 KiB of its 512 KiB of voxels;
- a Zarr dataset whose one chunk is a zstd frame declaring 1 GiB (a decompression bomb).
"""
import gzip
import json
import os
import struct
import sys
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


open(os.path.join(out, "huge.png"), "wb").write(
    b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2**31 - 1, 2**31 - 1, 8, 0, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))

# TIFF (little endian): one IFD, tiled, huge.
entries = [(256, 4, 1, 2**31 - 1), (257, 4, 1, 2**31 - 1), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
           (277, 3, 1, 1), (322, 3, 1, 256), (323, 3, 1, 256), (324, 4, 1, 8), (325, 4, 1, 16)]
ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + struct.pack("<I", 0)
open(os.path.join(out, "tiles.tif"), "wb").write(b"II*\x00" + struct.pack("<I", 8) + ifd)


def element(group, elem, vr, value):
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack("<HH", group, elem) + vr + b"\0\0" + struct.pack("<I", len(value)) + value
    return struct.pack("<HH", group, elem) + vr + struct.pack("<H", len(value)) + value


def uid(s):
    b = s.encode()
    return b + (b"\0" if len(b) % 2 else b"")


def dicom(ts, dataset):
    meta = element(0x0002, 0x0001, b"OB", b"\0\1") + element(0x0002, 0x0002, b"UI", uid("1.2.840.10008.5.1.4.1.1.7")) \
        + element(0x0002, 0x0003, b"UI", uid("1.2.3.4.5")) + element(0x0002, 0x0010, b"UI", uid(ts))
    meta = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta
    return b"\0" * 128 + b"DICM" + meta + dataset


ds = element(0x0008, 0x0016, b"UI", uid("1.2.840.10008.5.1.4.1.1.7")) + element(0x0008, 0x0018, b"UI", uid("1.2.3.4.5")) \
    + element(0x0028, 0x0002, b"US", struct.pack("<H", 1)) + element(0x0028, 0x0004, b"CS", b"MONOCHROME2 ") \
    + element(0x0028, 0x0008, b"IS", b"10000 ") + element(0x0028, 0x0010, b"US", struct.pack("<H", 65535)) \
    + element(0x0028, 0x0011, b"US", struct.pack("<H", 65535)) + element(0x0028, 0x0100, b"US", struct.pack("<H", 16)) \
    + element(0x0028, 0x0101, b"US", struct.pack("<H", 16)) + element(0x0028, 0x0102, b"US", struct.pack("<H", 15)) \
    + element(0x0028, 0x0103, b"US", struct.pack("<H", 0)) + element(0x7FE0, 0x0010, b"OW", b"\0\0\0\0")
open(os.path.join(out, "huge.dcm"), "wb").write(dicom("1.2.840.10008.1.2.1", ds))
# Deflate bomb: a dataset whose pixel data element claims 1 GiB of zeros, deflated.
small = ds[: ds.index(struct.pack("<HH", 0x7FE0, 0x0010))]
bomb_ds = small + struct.pack("<HH", 0x7FE0, 0x0010) + b"OW\0\0" + struct.pack("<I", 1 << 30)
z = zlib.compressobj(9, zlib.DEFLATED, -15)
body = z.compress(bomb_ds)
zero = b"\0" * (1 << 20)
for _ in range(1024):
    body += z.compress(zero)
body += z.flush()
open(os.path.join(out, "bomb.dcm"), "wb").write(dicom("1.2.840.10008.1.2.1.99", body))

header = json.dumps({"conv1.weight": {"dtype": "F32", "shape": [2**31, 2**31], "data_offsets": [0, 16]},
                     "__metadata__": {"architecture": "espcn", "scale": "4"}}).encode()
open(os.path.join(out, "shapes.safetensors"), "wb").write(struct.pack("<Q", len(header)) + header + b"\0" * 16)


def jpeg(width, height):
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([i, 0x11, 0]) for i in (1, 2, 3))
    sos = bytes([3]) + b"".join(bytes([i, 0]) for i in (1, 2, 3)) + bytes([0, 63, 0])
    seg = lambda m, d: b"\xff" + bytes([m]) + struct.pack(">H", len(d) + 2) + d
    return b"\xff\xd8" + seg(0xDB, bytes([0]) + bytes(range(1, 65))) + seg(0xC0, sof) + seg(0xDA, sos) + b"\0" * 16 + b"\xff\xd9"


open(os.path.join(out, "huge65535.jpg"), "wb").write(jpeg(65535, 65535))
open(os.path.join(out, "huge65500.jpg"), "wb").write(jpeg(65500, 65500))


def bmp(width, height, data):
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54) + info + data


open(os.path.join(out, "lying.bmp"), "wb").write(bmp(30000, 30000, b"\x80" * 64))
open(os.path.join(out, "huge.bmp"), "wb").write(bmp(2**31 - 1, 2**31 - 1, b"\x80" * 64))
open(os.path.join(out, "huge_v4.mat"), "wb").write(struct.pack("<5i", 0, 2**31 - 1, 2**31 - 1, 0, 2) + b"x\0" + b"\0" * 64)
def nifti1(dims, datatype, bitpix):
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, len(dims), *dims, *([1] * (7 - len(dims))))
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<f", h, 108, 352)
    h[344:348] = b"n+1\0"
    return bytes(h)


open(os.path.join(out, "huge.nii"), "wb").write(nifti1([2048, 1024, 1024], 16, 32))
open(os.path.join(out, "huge_u8.nii.gz"), "wb").write(gzip.compress(nifti1([2048, 1024, 1024], 2, 8) + b"\0" * 4096))
open(os.path.join(out, "truncated.nii"), "wb").write(nifti1([64, 64, 64], 4, 16) + b"\1" * 1024)
print("hostile inputs in", out)
