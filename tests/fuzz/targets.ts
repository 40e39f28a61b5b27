import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { InputError } from '../../src/shared/errors.ts';
import { MMWHS_LABELS } from '../../src/shared/labels.ts';
import { NotDicomError, parseDicomBytes, parseDicomHeader } from '../../src/formats/dicom/parse-part10.ts';
import { isDicomdir, referencedFiles } from '../../src/formats/dicom/read-dicomdir.ts';
import { readImageHeader, UnusableImageError } from '../../src/formats/dicom/read-image-header.ts';
import { applyModalityLut } from '../../src/formats/dicom/modality-lut.ts';
import { decodeFrame } from '../../src/formats/dicom/pixel-data/decode-frame.ts';
import { PixelDataError } from '../../src/formats/dicom/pixel-data/errors.ts';
import { NiftiError, readNifti } from '../../src/formats/nifti/read-nifti.ts';
import { readSeg, SegError } from '../../src/formats/dicom-seg/read-seg.ts';
import { readSeriesLabels } from '../../src/engine/node/annotations/label-volume.ts';
import { importScanned } from '../../src/engine/node/import/import-series.ts';
import { scanPaths } from '../../src/engine/node/import/scan-paths.ts';
import { niftiBytes } from '../../src/engine/node/segmentation/export-labels.ts';
import { writeSegForSeries } from '../../src/engine/node/segmentation/export-seg.ts';
import { Workspace } from '../../src/engine/node/workspace/workspace.ts';
import { copyDicomdirTree, dicomdirSeeds, dicomSeeds, niftiSeed, niftiSeeds, put, type SyntaxFamily } from './corpus.ts';
import { bodyStart, hotOffsets } from '../helpers/raw-dicom.ts';
import { codecSample, generatedDicom, generatedDicomdir, generatedNifti, rewrappedCodestreams } from './generators.ts';
import { mutatedFile, type Seed } from './mutations.ts';

/**
 * What is fuzzed: every reader of files a user (or an attacker) hands the app, each with
 * the errors its documentation promises. Anything else a reader throws is a crash; a
 * run that takes too long, or allocates more than its input can justify, is a finding
 * too (fuzz-worker.ts checks those).
 */
export interface FuzzInput {
  name: string;
  bytes: Uint8Array;
  /** the name the file gets on disk, where the reader takes a path */
  fileName?: string;
}

export interface FuzzTarget {
  name: string;
  input: fc.Arbitrary<FuzzInput>;
  /** Reads one input; returns what became of it (a classification), throws only what `documented` accepts. */
  run(input: FuzzInput): Promise<string>;
  /** the reason, when `error` is one of the reader's documented refusals; null for a crash */
  documented(error: unknown): string | null;
  /**
   * Bytes the reader may allocate per byte of input (beyond a fixed 32 MiB): what the
   * encoding can justify. Native data: a few copies; RLE: 64-fold per byte plane;
   * deflate/gzip: 1032-fold by design, doubled by buffer growth; JPEG-family and JPEG
   * 2000 decoders: the decoded frame (checked against the header before decoding).
   */
  expansion: number;
}

const reasonOf =
  (...types: (abstract new (...args: never[]) => Error)[]) =>
  (error: unknown): string | null => {
    if (!types.some((type) => error instanceof type)) return null;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    return reason ? reason : null;
  };

const dicomRefusal = reasonOf(NotDicomError, UnusableImageError, PixelDataError);

/** Every frame index a reader might be asked for, at most three of them. */
function someFrames(count: number): number[] {
  return [...new Set([0, Math.floor(count / 2), count - 1])].filter((k) => k >= 0 && k < count);
}

/** The scan's path and the import's path, as scan-paths.ts and import-series.ts take them. */
async function readDicomImage(bytes: Uint8Array): Promise<string> {
  // A scan of a large native file parses only its first bytes: try that path on a prefix.
  const head = parseDicomHeader(bytes.subarray(0, Math.max(132, Math.floor(bytes.length * 0.75))));
  if (head) readImageHeader(head, { fileSize: bytes.length });
  const { dataSet, truncated } = parseDicomBytes(bytes);
  if (isDicomdir(dataSet)) {
    assertConfined(referencedFiles(dataSet).files);
    return 'DICOMDIR';
  }
  const header = readImageHeader(dataSet, { truncated });
  for (const k of someFrames(header.frames.length)) {
    const stored = await decodeFrame(dataSet, k, header.layout);
    const pixels = header.layout.rows * header.layout.cols;
    if (stored.length !== pixels) throw new Error(`frame ${k} decoded to ${stored.length} values, not ${pixels}`);
    applyModalityLut(stored, header.frames[k].rescaleSlope, header.frames[k].rescaleIntercept, new Float32Array(pixels));
  }
  return 'image';
}

/** A DICOMDIR's references must stay inside its folder: relative, no '..', no empty component. */
function assertConfined(files: string[]): void {
  for (const file of files) {
    const parts = file.split('/');
    if (isAbsolute(file) || /^[A-Za-z]:/.test(file) || parts.some((p) => p === '..' || p === '.' || p === '' || p.includes('\0')))
      throw new Error(`DICOMDIR reference escapes its folder: ${JSON.stringify(file)}`);
  }
}

const EXPANSION: Record<SyntaxFamily, number> = {
  native: 16,
  deflated: 2100,
  rle: 300,
  jpeg: 600,
  'jpeg-ls': 600,
  jpeg2000: 600,
  other: 16,
};

export async function createTargets(scratchRoot: string): Promise<FuzzTarget[]> {
  const families = dicomSeeds();
  const targets: FuzzTarget[] = [];
  for (const [family, seeds] of families) {
    targets.push({
      name: `dicom-${family}`,
      input: mutatedFile(seeds),
      run: (input) => readDicomImage(input.bytes),
      documented: dicomRefusal,
      expansion: EXPANSION[family],
    });
  }
  const samples = [...families.values()]
    .flat()
    .map((seed) => ({ name: seed.name, sample: codecSample(seed.bytes) }))
    .filter((s): s is { name: string; sample: NonNullable<ReturnType<typeof codecSample>> } => s.sample !== null);
  targets.push({
    name: 'dicom-codestreams',
    input: rewrappedCodestreams(samples),
    run: (input) => readDicomImage(input.bytes),
    documented: dicomRefusal,
    expansion: 600,
  });
  targets.push({
    name: 'dicom-generated',
    input: generatedDicom,
    run: (input) => readDicomImage(input.bytes),
    documented: dicomRefusal,
    expansion: 2100,
  });

  const dicomdirs = dicomdirSeeds();
  targets.push({
    name: 'dicomdir',
    input: fc.oneof(mutatedFile(dicomdirs), generatedDicomdir),
    run: (input) => readDicomImage(input.bytes),
    documented: dicomRefusal,
    expansion: 16,
  });

  const nifti = niftiSeeds();
  const readWholeNifti = async (input: FuzzInput) => {
    const volume = readNifti(input.bytes);
    const out = new Float32Array(volume.dims[0] * volume.dims[1]);
    for (const k of someFrames(volume.dims[2])) volume.readSlice(k, out);
    return `volume ${volume.dims.join('×')}`;
  };
  targets.push({ name: 'nifti', input: mutatedFile(nifti), run: readWholeNifti, documented: reasonOf(NiftiError), expansion: 2100 });
  targets.push({ name: 'nifti-generated', input: generatedNifti, run: readWholeNifti, documented: reasonOf(NiftiError), expansion: 16 });

  // A workspace with one series, for label volumes (NIfTI and DICOM SEG) on its grid.
  const scratch = mkdtempSync(join(scratchRoot, 'worker-'));
  const workspace = Workspace.open(join(scratch, 'workspace'), { create: true });
  const image = nifti.find((s) => s.name === 'int16.nii')!;
  await importScanned(workspace, scanPaths([put(scratch, 'image.nii', image.bytes)]));
  const series = workspace.listSeries()[0];
  const labels = Uint16Array.from({ length: series.rows * series.cols * series.slices }, (_, k) => [0, 0, 0, 500, 600, 420][k % 6]);
  const segments = MMWHS_LABELS.filter((l) => [420, 500, 600].includes(l.value));
  const segBytes = writeSegForSeries(workspace, series, labels, segments, { description: 'fuzz', algorithm: null });
  const labelSeeds: Seed[] = [
    niftiSeed('labels.nii', niftiBytes(series, labels, false, 'fuzz')),
    niftiSeed('labels.nii.gz', niftiBytes(series, labels, true, 'fuzz')),
    { name: 'labels.dcm', bytes: segBytes, hot: hotOffsets(segBytes), body: bodyStart(segBytes) },
  ];
  const segSeeds = [labelSeeds[2], ...(families.get('native') ?? []).filter((s) => s.name.includes('liver_1frame'))];
  targets.push({
    name: 'dicom-seg',
    input: mutatedFile(segSeeds),
    run: async (input) => `SEG with ${readSeg(input.bytes).frames.length} frames`,
    documented: reasonOf(SegError),
    expansion: 64,
  });
  const labelDir = join(scratch, 'labels');
  mkdirSync(labelDir);
  targets.push({
    name: 'label-volumes',
    input: mutatedFile(labelSeeds).map((input) => ({ ...input, fileName: input.name.split(' ')[0] })),
    run: async (input) => {
      const read = readSeriesLabels(workspace, series, put(labelDir, input.fileName!, input.bytes));
      for (const k of someFrames(series.slices)) read.slice(k);
      return `labels on ${read.labelled.length} slices`;
    },
    documented: reasonOf(InputError),
    expansion: 2100,
  });

  // The whole scan, files on disk: every file ends up in a series or in `skipped`, and nothing outside the folder is read.
  const tree = copyDicomdirTree(scratch);
  const scanDir = join(scratch, 'scan');
  mkdirSync(scanDir);
  writeFileSync(join(scratch, 'outside.dcm'), families.get('native')![0].bytes);
  const fileNameOf = (name: string) => (name.includes('.nii.gz') ? 'input.nii.gz' : name.includes('.nii') ? 'input.nii' : 'input.dcm');
  const scanInputs = fc.oneof(
    mutatedFile([...families.values()].flat()).map((input) => ({ ...input, fileName: 'input.dcm' })),
    mutatedFile(nifti).map((input) => ({ ...input, fileName: fileNameOf(input.name) })),
    fc.oneof(mutatedFile(dicomdirs), generatedDicomdir).map((input) => ({ ...input, fileName: 'DICOMDIR' })),
  );
  targets.push({
    name: 'scan',
    input: scanInputs,
    run: async (input) => {
      const root = input.fileName === 'DICOMDIR' ? tree : scanDir;
      const path = put(root, input.fileName!, input.bytes);
      const { result } = scanPaths([path]);
      // The file is in a series or skipped as a whole, once; frames of a multi-frame file may also be skipped one by one.
      const whole = result.series.filter((s) => s.files.includes(path)).length + result.skipped.filter((s) => s.path === path).length;
      const frames = result.skipped.filter((s) => s.path.startsWith(`${path}#frame`)).length;
      if (whole > 1 || (whole === 0 && frames === 0))
        throw new Error(`${input.fileName} is classified ${whole} times as a whole and ${frames} times by frame`);
      const seen = [...result.series.flatMap((s) => s.files), ...result.skipped.map((s) => s.path.replace(/#frame\d+$/, ''))];
      for (const p of seen) {
        const inside = relative(root, p);
        if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
          throw new Error(`the scan of ${input.fileName} reached ${p}, outside ${root}`);
      }
      return result.series.length ? 'series' : `skipped: ${result.skipped.find((s) => s.path === path)?.reason}`;
    },
    documented: () => null,
    expansion: 2100,
  });
  return targets;
}
