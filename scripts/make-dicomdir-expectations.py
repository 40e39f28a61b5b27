#!/usr/bin/python3
"""Writes tests/fixtures/real/dicomdir/expected.json: for every image file of pydicom's
dicomdirtests set, what pydicom (an independent reader) says: SeriesInstanceUID,
modality and the mean/min/max of the pixel values after the modality LUT.
Run with Debian's python3-pydicom."""
import json, pathlib
import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut

folder = pathlib.Path(__file__).resolve().parent.parent / 'tests/fixtures/real/dicomdir'
expected = {}
for path in sorted(p for p in folder.rglob('*') if p.is_file()):
    try:
        ds = pydicom.dcmread(str(path))
    except Exception:
        continue
    if 'PixelData' not in ds:
        continue
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    expected[str(path.relative_to(folder))] = {
        'series': str(ds.SeriesInstanceUID), 'modality': str(ds.get('Modality', '')),
        'mean': float(values.mean()), 'min': float(values.min()), 'max': float(values.max()),
    }
(folder / 'expected.json').write_text(json.dumps(expected, indent=1))
print(len(expected), 'images')
