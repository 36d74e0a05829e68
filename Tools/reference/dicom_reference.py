#!/usr/bin/env python3
"""Decode DICOM files with pydicom and write what MedSR must reproduce.

usage: dicom_reference.py OUT.json FILE... [--arrays DIR]

For each file: shape, dtype and SHA-256 of pydicom's `pixel_array` (C order, little
endian), whether its transfer syntax is lossy, or the error pydicom raised. With --arrays,
arrays of lossy files are saved as DIR/<name>.npy so a test can compare with a tolerance.
"""
import hashlib
import json
import os
import sys

import numpy as np
import pydicom

LOSSY = {
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203",
}


def main():
    args = sys.argv[1:]
    arrays = None
    if "--arrays" in args:
        i = args.index("--arrays")
        arrays = args[i + 1]
        del args[i:i + 2]
        os.makedirs(arrays, exist_ok=True)
    out, files = args[0], args[1:]
    records = []
    for path in sorted(files):
        name = os.path.basename(path)
        rec = {"file": name}
        try:
            ds = pydicom.dcmread(path, force=True)
            if "PixelData" not in ds:
                rec["error"] = "no pixel data"
                records.append(rec)
                continue
            arr = ds.pixel_array
            if int(getattr(ds, "NumberOfFrames", 1) or 1) == 1 and arr.ndim >= 2:
                arr = arr[np.newaxis, ...] if (arr.ndim == 2 or (arr.ndim == 3 and ds.SamplesPerPixel > 1)) else arr
            if ds.SamplesPerPixel == 1 and arr.ndim == 3:
                arr = arr[..., np.newaxis]
            # MedSR keeps signed 8-bit as int16; compare values, not storage.
            if arr.dtype == np.int8:
                arr = arr.astype(np.int16)
            arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<")))
            rec["shape"] = list(arr.shape)
            rec["dtype"] = arr.dtype.str
            rec["sha256"] = hashlib.sha256(arr.tobytes()).hexdigest()
            ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in getattr(ds, "file_meta", {}) else ""
            rec["transfer_syntax"] = ts
            rec["lossy"] = ts in LOSSY
            if arrays and rec["lossy"]:
                np.save(os.path.join(arrays, name + ".npy"), arr)
        except Exception as e:  # noqa: BLE001 - record every failure
            rec["error"] = f"{type(e).__name__}: {e}"[:200]
        records.append(rec)
    with open(out, "w") as f:
        json.dump({"pydicom": pydicom.__version__, "files": records}, f, indent=1)


if __name__ == "__main__":
    main()
