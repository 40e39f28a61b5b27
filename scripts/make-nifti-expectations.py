#!/usr/bin/python3
"""Writes tests/fixtures/real/nifti/expected.json: what nibabel (an independent reader)
says of each fixture: shape, affine, and per-slice mean/min/max of the scaled values
along the third axis (first volume only). Run with Debian's python3-nibabel."""
import json, pathlib
import nibabel as nib
import numpy as np

folder = pathlib.Path(__file__).resolve().parent.parent / 'tests/fixtures/real/nifti'
expected = {}
for path in sorted(folder.glob('*.nii*')):
    image = nib.load(str(path))
    data = np.asanyarray(image.dataobj).astype(np.float64)
    if data.ndim > 3:
        data = data[..., 0]
    expected[path.name] = {
        'shape': list(data.shape),
        'affine': image.affine.tolist(),
        'zooms': [float(z) for z in image.header.get_zooms()[:3]],
        'slices': [{'mean': float(data[:, :, k].mean()), 'min': float(data[:, :, k].min()), 'max': float(data[:, :, k].max())}
                   for k in range(data.shape[2])],
    }
(folder / 'expected.json').write_text(json.dumps(expected, indent=1))
