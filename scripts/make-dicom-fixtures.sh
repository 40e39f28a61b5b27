#!/usr/bin/env bash
# Regenerates tests/fixtures/dicom/: small synthetic DICOM images in every transfer
# syntax the pixel-data decoder supports, plus the expected stored values of each
# source image as raw little-endian arrays (written by pydicom/numpy, independently of
# our own decoder), and copies the real pydicom test files that the tests use into
# tests/fixtures/real/.
#
# Needs (Debian): python3-pydicom python3-numpy dcmtk libgdcm-tools.
# Run from anywhere:  bash scripts/make-dicom-fixtures.sh
# The sources are deterministic; the encoders' output may differ byte-for-byte between
# tool versions (UIDs, dates), which does not matter to the tests: they compare decoded
# pixels with the .raw files. Made with dcmtk 3.6.7 and gdcm 3.0.21.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/tests/fixtures/dicom"
REAL="$ROOT/tests/fixtures/real"
PYDICOM_FILES="${PYDICOM_FILES:-/usr/lib/python3/dist-packages/pydicom/data/test_files}"
PY=/usr/bin/python3   # Debian's python3, where python3-pydicom is installed

for tool in dcmconv dcmcjpeg dcmcrle dcmcjpls gdcmconv; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install dcmtk libgdcm-tools)"; exit 1; }
done

rm -rf "$OUT" && mkdir -p "$OUT"
cd "$OUT"

# 1. Sources, explicit VR little endian, and their expected stored values (*.raw).
"$PY" - <<'PYEOF'
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7'
CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2'

def pattern(rows, cols, lo, hi, seed):
    """A CT-like test image: a ramp, a disc, a checkerboard edge and seeded noise,
    so that codecs meet smooth areas, hard edges and high-frequency detail."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    ramp = lo + (hi - lo) * (x + y) / (rows + cols - 2) * 0.6
    disc = ((x - cols / 2) ** 2 + (y - rows / 2) ** 2 < (rows / 4) ** 2) * (hi - lo) * 0.3
    checker = (((x // 4) + (y // 4)) % 2) * (hi - lo) * 0.05
    noise = rng.randint(-20, 21, size=(rows, cols))
    img = np.clip(np.round(ramp + disc + checker + noise), lo, hi)
    img[0, 0], img[0, cols - 1] = lo, hi   # the extremes of the declared range
    return img.astype(np.int64)

def write(name, frames, bits_stored, signed, modality='CT', bits_allocated=16, dirty=None):
    nframes, rows, cols = frames.shape
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE if modality == 'CT' else SECONDARY_CAPTURE
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(entropy_srcs=['ssmtl-fixture-study'])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=['ssmtl-fixture-series', name])
    ds.Modality = modality
    ds.PatientName, ds.PatientID = 'Fixture^Synthetic', 'SSMTL-FIXTURE'
    ds.StudyDate, ds.ContentDate = '20260101', '20260101'
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows, ds.Columns = rows, cols
    if nframes > 1:
        ds.NumberOfFrames = nframes
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_allocated, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.RescaleIntercept, ds.RescaleSlope = 0, 1
    if modality == 'CT':
        ds.ImagePositionPatient = [0, 0, 0]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.5, 0.5]
        ds.SliceThickness = 1
    dtype = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}[(bits_allocated, signed)]
    stored = frames.astype(dtype)
    on_disk = stored.copy() if dirty is None else dirty(stored)
    ds.PixelData = on_disk.tobytes()
    ds.save_as(name + '.dcm', write_like_original=False)
    # The expected stored values: what pydicom reads back (it masks to BitsStored and
    # sign-extends), as little-endian raw samples, frame after frame.
    # (pydicom 2.3 does not mask unsigned values, so the junk-bits file is checked by
    # masking here.)
    back = pydicom.dcmread(name + '.dcm').pixel_array.astype(dtype)
    if dirty is not None:
        back = back & dtype((1 << bits_stored) - 1)
    assert np.array_equal(back.reshape(stored.shape), stored), name
    stored.astype(stored.dtype.newbyteorder('<')).tofile(name + '.raw')

# Signed 16-bit CT-like slice, full 16 bits stored (-32768 and 32767 at two corners).
s16 = pattern(64, 64, -1024, 3071, seed=1)
s16[0, 0], s16[0, 63] = -32768, 32767
write('ct-s16', s16[None], 16, True)
# Signed, 12 bits stored in 16 allocated (-2048..2047): the decoder must sign-extend.
write('ct-s12', pattern(64, 64, -2048, 2047, seed=2)[None], 12, True)
# Unsigned, 12 bits stored in 16 allocated.
u12 = pattern(64, 64, 0, 4095, seed=3)[None]
write('mr-u12', u12, 12, False, modality='MR')
# Same stored values, but with junk in the 4 unused high bits on disk (an overlay or a
# careless writer): the decoder must mask them away. Native encoding only.
write('mr-u12-highbits', u12, 12, False, modality='MR',
      dirty=lambda a: a | (np.arange(a.size, dtype=np.uint16).reshape(a.shape) % 16 << 12).astype(np.uint16))
# Unsigned 8-bit (JPEG baseline is 8-bit only).
write('sc-u8', pattern(64, 64, 0, 255, seed=4)[None], 8, False, modality='OT', bits_allocated=8)
# Three frames, signed 12-bit, 32x32; each frame different.
write('ct-s12-3f', np.stack([pattern(32, 32, -2048, 2047, seed=10 + f) for f in range(3)]), 12, True)

# Float Pixel Data (7FE0,0008), 8x8, as parametric maps store it; no BitsStored applies.
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=['float'])
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.is_little_endian, ds.is_implicit_VR = True, False
ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, 'MONOCHROME2'
ds.Rows, ds.Columns, ds.BitsAllocated = 8, 8, 32
values = (np.arange(64, dtype=np.float32) - 32) / 8
ds.FloatPixelData = values.astype('<f4').tobytes()
ds.save_as('map-f32.dcm', write_like_original=False)
values.astype('<f4').tofile('map-f32.raw')
PYEOF

# 2. Re-encodings with the real tools. Name: <source>.<syntax>[.<tool or variant>].dcm
enc() {
  local src=$1 out=$2; shift 2
  "$@" "$src.dcm" "$out.dcm" >/dev/null 2>&1 || { echo "FAILED: $* ($out)"; rm -f "$out.dcm"; exit 1; }
}
for s in ct-s16 ct-s12 mr-u12 sc-u8 ct-s12-3f; do
  enc $s $s.implicit          dcmconv +ti
  enc $s $s.bigendian         dcmconv +tb
  enc $s $s.deflated          dcmconv +td
  enc $s $s.rle               dcmcrle
  enc $s $s.rle.gdcm          gdcmconv --rle
  enc $s $s.jpeg-ll14         dcmcjpeg +el
  enc $s $s.jpeg-ll-sv1       dcmcjpeg +e1
  enc $s $s.jpeg-ll-sv1.gdcm  gdcmconv --jpeg
  enc $s $s.jpegls            dcmcjpls +el
  enc $s $s.jpegls.gdcm       gdcmconv --jpegls
  enc $s $s.jpegls-near2      gdcmconv --jpegls --lossy -e 2   # dcmcjpls refuses signed near-lossless
  enc $s $s.j2k               gdcmconv --j2k
  enc $s $s.j2k-lossy         gdcmconv --j2k --lossy -q 80
done
# JPEG lossy: baseline (process 1) is 8-bit only; extended (process 2/4) 8 or 12 bits.
enc sc-u8 sc-u8.jpeg-baseline      dcmcjpeg +eb +q 90
enc sc-u8 sc-u8.jpeg-extended      dcmcjpeg +ee +q 90
enc mr-u12 mr-u12.jpeg-extended    dcmcjpeg +ee +q 90
# Fragmentation: one frame split over many 1 KiB fragments; frames without a basic
# offset table, each spread over several fragments.
enc ct-s16 ct-s16.jpeg-ll-sv1.fragments           dcmcjpeg +e1 +fs 1
enc ct-s12-3f ct-s12-3f.jpeg-ll-sv1.fragments     dcmcjpeg +e1 +fs 1
enc ct-s12-3f ct-s12-3f.jpeg-ll-sv1.fragments-nobot dcmcjpeg +e1 +fs 1 -ot
enc ct-s12-3f ct-s12-3f.jpegls.nobot              dcmcjpls +el -ot
enc ct-s12-3f ct-s12-3f.jpegls.fragments-nobot    dcmcjpls +el +fs 1 -ot
enc mr-u12.j2k mr-u12.j2k.fragments               gdcmconv --split 1024

# Reference decodings of the lossy files by an independent decoder (gdcm), as raw
# little-endian samples: <file>.gdcm.raw.
for f in *-lossy.dcm *-near2.dcm *.jpeg-baseline.dcm sc-u8.jpeg-extended.dcm; do
  gdcmconv --raw "$f" "$OUT/.decoded.dcm" >/dev/null 2>&1
  "$PY" -c "import sys, pydicom; pydicom.dcmread(sys.argv[1]).pixel_array.astype('<' + pydicom.dcmread(sys.argv[1]).pixel_array.dtype.str[1:]).tofile(sys.argv[2])" \
    "$OUT/.decoded.dcm" "${f%.dcm}.gdcm.raw"
  rm -f "$OUT/.decoded.dcm"
done

ls -la "$OUT" | awk '{s+=$5} END {print "fixtures: " NR-3 " files, " s " bytes"}'

# 3. The real test files (pydicom's, see tests/fixtures/real/README.md).
mkdir -p "$REAL"
for f in CT_small.dcm MR_small.dcm MR_small_implicit.dcm MR_small_bigendian.dcm MR_small_expb.dcm \
         MR_small_RLE.dcm MR_small_jp2klossless.dcm MR_small_jpeg_ls_lossless.dcm MR_small_padded.dcm \
         MR_truncated.dcm JPEG2000.dcm JPGExtended.dcm image_dfl.dcm rtdose.dcm rtdose_rle.dcm \
         rtdose_expb.dcm liver_1frame.dcm rtplan.dcm test-SR.dcm SC_rgb_rle.dcm \
         J2K_pixelrep_mismatch.dcm 693_J2KI.dcm README.txt; do
  cp "$PYDICOM_FILES/$f" "$REAL/$f"
done
mv "$REAL/README.txt" "$REAL/pydicom-README.txt"
