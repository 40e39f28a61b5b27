import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSliceAnnotation } from '../src/engine/node/annotations/annotation-store.ts';
import { Workspace } from '../src/engine/node/workspace/workspace.ts';
import { writeNifti } from '../src/formats/nifti/write-nifti.ts';
import { readNifti } from '../src/formats/nifti/read-nifti.ts';

/**
 * The few-shot segmentation commands end to end, as a user runs them, on a small built-in
 * sample: annotations import (NIfTI and DICOM SEG), finetune (pre-trained and scratch),
 * predict with NIfTI and DICOM SEG export (checked with NiBabel, pydicom and dciodvfy when
 * they are installed), evaluate, and the bad inputs of issue 4.
 */
const root = join(import.meta.dirname, '..');
const PYTHON = '/usr/bin/python3';
const hasNibabel = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import nibabel, pydicom']).status === 0;
const hasDciodvfy = existsSync('/usr/bin/dciodvfy');

function ssmtl(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/ssmtl.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SSMTL_QUIET: '1' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json: () => JSON.parse(result.stdout) };
}

function expectInputError(result: ReturnType<typeof ssmtl>, message: RegExp) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const dir = mkdtempSync(join(tmpdir(), 'ssmtl-seg-cli-'));
const ws = join(dir, 'ws');
let series = '';
let labels = '';
/** the sample's second subject: never annotated, so never trained on */
let other = { id: '', labels: '' };

beforeAll(() => {
  const sample = ssmtl('sample', '--out', join(dir, 'sample'), '--subjects', '2', '--slices', '24', '--size', '64', '--json');
  expect(sample.code, sample.stderr).toBe(0);
  const [first, second] = sample.json().series;
  series = first.id;
  labels = first.labels;
  other = { id: second.id, labels: second.labels };
  expect(ssmtl('import', first.dicom, second.dicom, '--workspace', ws, '--json').code).toBe(0);
  const pre = ssmtl(
    'pretrain',
    '--workspace',
    ws,
    '--size',
    '32',
    '--width',
    '4',
    '--epochs',
    '1',
    '--batch',
    '8',
    '--threads',
    '1',
    '--name',
    'pre',
    '--json',
  );
  expect(pre.code, pre.stderr).toBe(0);
}, 180_000);

describe('annotations import', () => {
  it('annotates N random labelled slices of a series from a NIfTI label volume', () => {
    const result = ssmtl(
      'annotations',
      'import',
      '--workspace',
      ws,
      '--series',
      series,
      '--labels',
      labels,
      '--slices',
      '5',
      '--seed',
      '1',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const out = result.json();
    expect(out.series).toBe(series);
    expect(out.annotatedSlices).toHaveLength(5);
    expect(out.labels.length).toBeGreaterThan(0);
    expect(out.labels.every((v: number) => [205, 420, 500, 550, 600, 820, 850].includes(v))).toBe(true);
    const info = ssmtl('info', '--workspace', ws, '--series', series, '--json').json();
    expect(info.series[0].annotatedSlices).toEqual(out.annotatedSlices);
  });

  it('refuses labels on another grid (naming both shapes), slices outside the series, and a missing file', () => {
    const small = join(dir, 'small.nii');
    writeFileSync(
      small,
      writeNifti({
        data: new Uint16Array(10 * 10 * 10),
        dims: [10, 10, 10],
        pixdim: [1, 1, 1],
        affine: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      }),
    );
    expectInputError(
      ssmtl('annotations', 'import', '--workspace', ws, '--series', series, '--labels', small),
      /10 × 10 × 10 voxels .*64 × 64 × 24 \(columns × rows × slices\)/,
    );
    expectInputError(
      ssmtl('annotations', 'import', '--workspace', ws, '--series', series, '--labels', labels, '--slice-list', '3,99'),
      /--slice-list: 99 outside/,
    );
    expectInputError(
      ssmtl('annotations', 'import', '--workspace', ws, '--series', series, '--labels', join(dir, 'nope.nii')),
      /nope\.nii: no such file/,
    );
  });
});

describe('finetune / predict / evaluate', () => {
  it('says what to do when no slice is annotated', () => {
    const empty = join(dir, 'empty-ws');
    expect(ssmtl('import', join(dir, 'sample/SAMPLE-02/dicom'), '--workspace', empty).code).toBe(0);
    expectInputError(
      ssmtl('finetune', '--workspace', empty, '--name', 'seg', '--init', 'none'),
      /no annotated slices .*annotations import/,
    );
  });

  it('refuses a pre-trained model of another size or width, and an unknown one', () => {
    expectInputError(
      ssmtl('finetune', '--workspace', ws, '--name', 'seg', '--init', 'pre', '--width', '8'),
      /--width 8 does not match the pre-trained model 'pre' \(size 32, width 4\)/,
    );
    expectInputError(ssmtl('finetune', '--workspace', ws, '--name', 'seg', '--init', 'nothing'), /--init: no model 'nothing'/);
  });

  it('fine-tunes from the pre-trained backbone and from scratch, predicts, exports NIfTI and DICOM SEG, and scores', () => {
    const pretrained = ssmtl('finetune', '--workspace', ws, '--name', 'seg-pre', '--init', 'pre', '--epochs', '3', '--json');
    expect(pretrained.code, pretrained.stderr).toBe(0);
    const p = pretrained.json();
    expect(p).toMatchObject({ model: 'seg-pre', init: 'pre', backend: expect.any(String), epochs: 3, trainSlices: 5, size: 32, width: 4 });
    expect(p.classes[0]).toBe(0);
    expect(typeof p.seconds).toBe('number');
    // Same seed, same run: the loss curve repeats exactly.
    const repeat = ssmtl('finetune', '--workspace', ws, '--name', 'seg-pre-again', '--init', 'pre', '--epochs', '3', '--json');
    expect(repeat.json().loss.perEpoch).toEqual(p.loss.perEpoch);
    const scratch = ssmtl('finetune', '--workspace', ws, '--name', 'seg-none', '--init', 'none', '--epochs', '3', '--json');
    expect(scratch.code, scratch.stderr).toBe(0);
    // with --init none the architecture defaults to the pre-trained model's, for a like-for-like comparison
    expect(scratch.json()).toMatchObject({ init: 'none', size: 32, width: 4 });

    const nii = join(dir, 'pred.nii.gz');
    const predicted = ssmtl('predict', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--out', nii, '--json');
    expect(predicted.code, predicted.stderr).toBe(0);
    const pr = predicted.json();
    expect(pr).toMatchObject({ series, slices: 24, out: nii });
    expect(Object.keys(pr.volumesMl).map(Number).sort()).toEqual(p.classes.slice(1));
    expect(pr.uncertainty).toHaveLength(24);
    expect(pr.suggestedSlices).toHaveLength(24 - 5);
    const volume = readNifti(readFileSync(nii));
    const truth = readNifti(readFileSync(labels));
    expect(volume.dims).toEqual([64, 64, 24]);
    volume.affine.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(truth.affine[r][c], 4)));

    const dcm = join(dir, 'pred.dcm');
    const exported = ssmtl('predict', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--out', dcm, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    // The SEG comes back as annotations of the same slices, value for value.
    const back = ssmtl(
      'annotations',
      'import',
      '--workspace',
      ws,
      '--series',
      series,
      '--labels',
      dcm,
      '--slice-list',
      '2,11,20',
      '--json',
    );
    expect(back.code, back.stderr).toBe(0);
    const workspace = Workspace.open(ws, { create: false });
    try {
      const record = workspace.requireSeries(series);
      for (const k of [2, 11, 20]) expect(readSliceAnnotation(workspace, record, k)?.labels).toEqual(Uint16Array.from(volume.readSlice(k)));
    } finally {
      workspace.close();
    }

    const scored = ssmtl('evaluate', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--labels', labels, '--json');
    expect(scored.code, scored.stderr).toBe(0);
    const e = scored.json();
    const annotated = ssmtl('info', '--workspace', ws, '--series', series, '--json').json().series[0].annotatedSlices.length;
    expect(e).toMatchObject({ series, slicesScored: 24 - annotated });
    expect(Object.keys(e.iou).map(Number).sort()).toEqual(p.classes.slice(1));
    expect(Object.keys(e.dice)).toEqual(Object.keys(e.iou));
    expect(e.miou === null || (e.miou >= 0 && e.miou <= 1)).toBe(true);
    if (hasDciodvfy) {
      const check = spawnSync('/usr/bin/dciodvfy', [dcm], { encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).not.toMatch(/^Error/m);
    }
    if (hasNibabel) {
      const script = `
import sys, json, nibabel, pydicom, numpy
n = nibabel.load(sys.argv[1]); t = nibabel.load(sys.argv[2]); d = pydicom.dcmread(sys.argv[3])
print(json.dumps({"affine": bool(numpy.allclose(n.affine, t.affine, atol=1e-4)), "shape": list(n.shape),
  "referenced": d.ReferencedSeriesSequence[0].SeriesInstanceUID, "modality": d.Modality,
  "frames": int(d.NumberOfFrames), "segments": [int(s.SegmentDescription.split()[-1]) for s in d.SegmentSequence]}))`;
      const result = spawnSync(PYTHON, ['-c', script, nii, labels, dcm], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const py = JSON.parse(result.stdout);
      expect(py).toMatchObject({ affine: true, shape: [64, 64, 24], referenced: series, modality: 'SEG' });
      expect(py.segments).toEqual(p.classes.slice(1));
    }
  });

  it('evaluate labels the score on a series the model was fine-tuned on within-scan, and --strict refuses it', () => {
    const e = ssmtl('evaluate', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--labels', labels, '--json').json();
    // The model was fine-tuned on this series: its score is within-scan, said in JSON and text, and --strict refuses it.
    expect(e.withinScan).toBe(true);
    const text = ssmtl('evaluate', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--labels', labels);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/mIoU \S+ \(within-scan: this series was used to fine-tune the model\)/);
    expectInputError(
      ssmtl('evaluate', '--workspace', ws, '--model', 'seg-pre', '--series', series, '--labels', labels, '--strict', '--json'),
      new RegExp(`--strict: series ${series.replace(/\./g, '\\.')} was used to fine-tune model seg-pre \\(slices [0-9, ]+\\).*within-scan`),
    );
    // A scan it has not seen: held out, and --strict lets it through.
    const heldOut = ssmtl(
      'evaluate',
      '--workspace',
      ws,
      '--model',
      'seg-pre',
      '--series',
      other.id,
      '--labels',
      other.labels,
      '--strict',
      '--json',
    );
    expect(heldOut.code, heldOut.stderr).toBe(0);
    expect(heldOut.json()).toMatchObject({ series: other.id, slicesScored: 24, withinScan: false });
    expect(ssmtl('evaluate', '--workspace', ws, '--model', 'seg-pre', '--series', other.id, '--labels', other.labels).stdout).not.toMatch(
      /within-scan/,
    );
  }, 120_000);

  it('an interrupted fine-tune leaves the earlier model of that name usable; after Ctrl-C, --resume continues it exactly', async () => {
    const first = ssmtl('finetune', '--workspace', ws, '--name', 'seg-kill', '--init', 'pre', '--epochs', '1', '--json');
    expect(first.code, first.stderr).toBe(0);
    const modelRecord = () =>
      ssmtl('info', '--workspace', ws, '--json')
        .json()
        .models.find((m: { name: string }) => m.name === 'seg-kill');
    let before = modelRecord();
    let interruptedSteps = 0;
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      const child = spawn(
        process.execPath,
        [join(root, 'bin/ssmtl.mjs'), 'finetune', '--workspace', ws, '--name', 'seg-kill', '--init', 'pre', '--epochs', '100000'],
        {
          env: { ...process.env, SSMTL_QUIET: '1' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (stderr.includes("fine-tuning 'seg-kill'")) {
            clearInterval(poll);
            setTimeout(() => {
              child.kill(signal);
              resolve();
            }, 1500);
          }
        }, 100);
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      if (signal === 'SIGINT') {
        expect(code).toBe(1);
        expect(stderr).toMatch(/interrupted after \d+ steps; the model was not saved .*--resume/);
        interruptedSteps = Number(/after (\d+) steps/.exec(stderr)?.[1]);
      }
      expect(modelRecord()).toEqual(before);
      expect(ssmtl('predict', '--workspace', ws, '--model', 'seg-kill', '--series', series, '--json').code).toBe(0);
      if (signal === 'SIGINT') {
        // --resume continues from the checkpoint written on the interrupt, exactly as an uninterrupted run (one step per epoch here).
        const epochs = String(interruptedSteps + 3);
        const resumed = ssmtl(
          'finetune',
          '--workspace',
          ws,
          '--name',
          'seg-kill',
          '--init',
          'pre',
          '--epochs',
          epochs,
          '--resume',
          '--json',
        );
        expect(resumed.code, resumed.stderr).toBe(0);
        const straight = ssmtl('finetune', '--workspace', ws, '--name', 'seg-straight', '--init', 'pre', '--epochs', epochs, '--json');
        expect(resumed.json().loss.perEpoch).toEqual(straight.json().loss.perEpoch);
        expectInputError(
          ssmtl('finetune', '--workspace', ws, '--name', 'seg-kill', '--init', 'pre', '--resume'),
          /no checkpoint .*nothing to resume/,
        );
        before = modelRecord();
      }
    }
  });
});
