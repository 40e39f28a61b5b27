import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { gunzipSync } from 'fflate';
import { writeNifti } from '../../src/formats/nifti/write-nifti.ts';
import { bodyStart, hotOffsets } from '../helpers/raw-dicom.ts';
import type { Seed } from './mutations.ts';

/**
 * The real files the mutation fuzzers start from: every DICOM file of tests/fixtures
 * (pydicom's and dcmtk/gdcm-written ones, one or more per transfer syntax), the
 * DICOMDIRs, and NIfTI volumes written here in every datatype (the fixtures hold none).
 */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export type SyntaxFamily = 'native' | 'deflated' | 'rle' | 'jpeg' | 'jpeg-ls' | 'jpeg2000' | 'other';

export function syntaxFamily(uid: string): SyntaxFamily {
  if (uid === '1.2.840.10008.1.2.1.99') return 'deflated';
  if (['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2'].includes(uid)) return 'native';
  if (uid === '1.2.840.10008.1.2.5') return 'rle';
  if (['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'].includes(uid)) return 'jpeg';
  if (['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81'].includes(uid)) return 'jpeg-ls';
  if (['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91'].includes(uid)) return 'jpeg2000';
  return 'other';
}

function seed(name: string, bytes: Uint8Array): Seed {
  return { name, bytes, hot: hotOffsets(bytes), body: bodyStart(bytes) };
}

function transferSyntaxOf(bytes: Uint8Array): string {
  try {
    return dicomParser.readPart10Header(bytes).string('x00020010')?.replace(/\0/g, '').trim() ?? '';
  } catch {
    return '';
  }
}

/** DICOM image files of the fixtures, grouped by how their pixel data is encoded. */
export function dicomSeeds(): Map<SyntaxFamily, Seed[]> {
  const families = new Map<SyntaxFamily, Seed[]>();
  for (const folder of ['dicom', 'real']) {
    for (const name of readdirSync(join(FIXTURES, folder)).sort()) {
      if (!name.endsWith('.dcm')) continue;
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, folder, name)));
      const family = syntaxFamily(transferSyntaxOf(bytes));
      if (!families.has(family)) families.set(family, []);
      families.get(family)!.push(seed(`${folder}/${name}`, bytes));
    }
  }
  return families;
}

export const DICOMDIR_TREE = join(FIXTURES, 'real', 'dicomdir');

export function dicomdirSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const visit = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.startsWith('DICOMDIR')) seeds.push(seed(path.slice(FIXTURES.length + 1), new Uint8Array(readFileSync(path))));
    }
  };
  visit(DICOMDIR_TREE);
  return seeds;
}

/** A copy of the DICOMDIR fixtures' tree to scan mutated DICOMDIRs in (their listed files exist there). */
export function copyDicomdirTree(under: string): string {
  const dir = join(under, 'dicomdir');
  cpSync(DICOMDIR_TREE, dir, { recursive: true });
  return dir;
}

const AFFINE = [
  [-0.8, 0, 0, 90],
  [0, -0.8, 0, 100],
  [0, 0, 2.5, -40],
  [0, 0, 0, 1],
];

/** NIfTI-1 volumes in each datatype, plain and gzipped, with a label volume among them. */
export function niftiSeeds(): Seed[] {
  const [ni, nj, nk] = [12, 10, 5];
  const n = ni * nj * nk;
  const ramp = (k: number) => ((k * 37) % 251) - 60;
  const volumes = {
    uint8: Uint8Array.from({ length: n }, (_, k) => ramp(k) & 0xff),
    int8: Int8Array.from({ length: n }, (_, k) => ramp(k) >> 1),
    int16: Int16Array.from({ length: n }, (_, k) => ramp(k) * 9),
    uint16: Uint16Array.from({ length: n }, (_, k) => Math.abs(ramp(k)) * 200),
    int32: Int32Array.from({ length: n }, (_, k) => ramp(k) * 70000),
    uint32: Uint32Array.from({ length: n }, (_, k) => Math.abs(ramp(k)) * 70000),
    float32: Float32Array.from({ length: n }, (_, k) => ramp(k) / 7),
    float64: Float64Array.from({ length: n }, (_, k) => ramp(k) / 3),
  };
  const seeds: Seed[] = [];
  for (const [type, data] of Object.entries(volumes)) {
    for (const gzip of [false, true]) {
      const bytes = writeNifti({ data, dims: [ni, nj, nk], pixdim: [0.8, 0.8, 2.5], affine: AFFINE, description: type, gzip });
      seeds.push(niftiSeed(`${type}${gzip ? '.nii.gz' : '.nii'}`, bytes));
    }
  }
  // NiBabel's test volumes: NIfTI-1, 4-D gzipped, NIfTI-2.
  for (const name of readdirSync(join(FIXTURES, 'real', 'nifti')).sort()) {
    if (!name.includes('.nii')) continue;
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'real', 'nifti', name)));
    seeds.push(niftiSeed(`real/nifti/${name}`, bytes));
  }
  const labels = Uint16Array.from({ length: n }, (_, k) => (k % 7 === 0 ? 500 : 0));
  const labelBytes = writeNifti({ data: labels, dims: [ni, nj, nk], pixdim: [0.8, 0.8, 2.5], affine: AFFINE, intent: 'label' });
  seeds.push(niftiSeed('labels.nii', labelBytes));
  return seeds;
}

/** A NIfTI file to mutate: its header fields are the hot offsets (of what a .nii.gz holds, for one). */
export function niftiSeed(name: string, bytes: Uint8Array): Seed {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { name, bytes, gzip, hot: niftiHot(gzip ? gunzipSync(bytes) : bytes) };
}

/** The NIfTI-1 header fields that decide sizes and offsets (nifti1.h byte offsets; not sizeof_hdr or the magic, which only make it "not NIfTI"). */
function niftiHot(bytes: Uint8Array): number[] {
  const fields = [40, 42, 44, 46, 48, 56, 68, 70, 72, 76, 80, 84, 108, 112, 116, 252, 254, 280];
  return fields.flatMap((at) => [at, at + 1, at + 2, at + 3]).filter((at) => at < bytes.length);
}

/** Writes `bytes` under `name` in `dir` and returns the path. */
export function put(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
