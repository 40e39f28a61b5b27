import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import type { JobSummary, PretrainSettings, StudioEvent } from '../../../shared/api.ts';
import { isActiveJob } from '../../../shared/job.ts';
import { StudioService } from './studio-service.ts';
import { jobEnded } from '../test-fixtures.ts';
import { savePrediction } from '../segmentation/prediction-store.ts';
import { Workspace } from '../workspace/workspace.ts';
import { sliceThumbnail } from '../../../shared/thumbnail.ts';

/**
 * The studio service as the interface drives it: the sample imported in a child
 * process, a stroke saved and read back by URL route, a tiny pre-training run twice
 * with the same settings (the second gets its own name), an export.
 */
/** The predict processes this test process has forked and that are alive now. */
function predictChildren(): Set<number> {
  // ps exits 1 when there is none
  const lines = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout.split('\n');
  return new Set(lines.filter((line) => line.includes('predict-child')).map((line) => Number.parseInt(line, 10)));
}

describe('StudioService', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-studio-'));
  const service = new StudioService({ workspace: join(dir, 'workspace'), transport: 'serve', backend: 'wasm' });
  const events: StudioEvent[] = [];
  service.onEvent((event) => events.push(event));
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const finished = (job: JobSummary) => jobEnded(service, job, 200);
  const TINY_PRETRAIN: PretrainSettings = {
    seriesIds: [],
    method: 'ssmtl',
    t: 5,
    epochs: 1,
    size: 32,
    width: 4,
    batch: 4,
    backend: 'wasm',
    name: '',
  };

  it('imports the sample, saves and serves an annotation, pre-trains twice, exports', async () => {
    expect((await service.workspace()).exists).toBe(false);
    await expect(
      service.startPretrain({ seriesIds: [], method: 'ssmtl', t: 5, epochs: 1, size: 32, width: 4, batch: 4, backend: 'wasm', name: '' }),
    ).rejects.toThrow(/empty/);
    const imported = await finished(await service.startImportSample());
    expect(imported.state, imported.message ?? '').toBe('done');
    const series = await service.listSeries();
    expect(series).toHaveLength(4);
    const { id, rows, cols } = series[0];
    // The sample is axial CT: rows run to the patient's left, columns to the back, slices upward or downward.
    const plane = series[0].plane!;
    expect(plane.rowDirection.map(Math.round)).toEqual([1, 0, 0]);
    expect(plane.columnDirection.map(Math.round)).toEqual([0, 1, 0]);
    expect(Math.abs(plane.normal[2])).toBeCloseTo(1);
    expect(plane.positions).toHaveLength(series[0].slices);
    expect(plane.positions[1] - plane.positions[0]).toBeCloseTo(series[0].spacing[2]);

    const labels = new Uint16Array(rows * cols);
    labels.fill(500, 10 * cols, 12 * cols);
    const saved = await service.call('saveAnnotation', [id, 20, new Uint8Array(labels.buffer)]);
    expect(saved).toEqual({ seriesId: id, index: 20, annotatedSlices: [20] });
    const answer = service.readPixels({ kind: 'annotation', seriesId: id, index: 20 });
    expect(new Uint16Array(answer!.bytes.slice().buffer)).toEqual(labels);
    expect(service.readPixels({ kind: 'annotation', seriesId: id, index: 21 })).toBeNull();
    expect(service.readPixels({ kind: 'slice', seriesId: id, index: 0 })!.bytes.byteLength).toBe(rows * cols * 4);
    // The Library's preview: the middle slice in a soft-tissue window, as grey levels (shared/thumbnail.ts).
    const thumbnail = service.readPixels({ kind: 'thumbnail', seriesId: id })!;
    const middle = service.readPixels({ kind: 'slice', seriesId: id, index: Math.floor(series[0].slices / 2) })!;
    const expected = sliceThumbnail(new Float32Array(middle.bytes.slice().buffer), rows, cols, 'CT');
    expect(thumbnail).toEqual({ bytes: expected.grey, rows: expected.rows, cols: expected.cols });
    expect(thumbnail.bytes.some((v) => v > 0 && v < 255)).toBe(true); // soft tissue, not all black or white
    expect(service.readPixels({ kind: 'thumbnail', seriesId: 'no such series' })).toBeNull();
    await expect(service.call('saveAnnotation', [id, 20, new Uint8Array(3)])).rejects.toThrow(/uint16 values/);
    expect(events.some((e) => e.type === 'annotation-saved')).toBe(true);

    const settings = { ...TINY_PRETRAIN, seriesIds: [id] };
    // Before starting: the time of a run, from a training step timed on the chosen compute.
    const quick = (await service.estimatePretrain({ ...settings, epochs: 2 }))!;
    const anchors = series[0].slices - 2 * settings.t;
    expect(quick).toMatchObject({ onCpu: true, stepsPerEpoch: Math.ceil(anchors / settings.batch) });
    expect(quick.seconds).toBeCloseTo(quick.secondsPerStep * quick.stepsPerEpoch * 2);
    // 64 times the pixels, 4 times the batch: each step costs many times more.
    const large = (await service.estimatePretrain({ ...settings, size: 256, batch: 16, epochs: 100 }))!;
    expect(large.secondsPerStep).toBeGreaterThan(quick.secondsPerStep * 10);
    await expect(service.call('estimatePretrain', [{ ...settings, size: 1 }])).rejects.toThrow(/size/);
    const started = await service.startPretrain(settings);
    // The settings it runs travel with the job: a reloaded Pre-train form shows them.
    expect(started.pretrainSettings).toEqual({ ...settings, backbone: 'unet' });
    expect((await service.listJobs())[0].pretrainSettings?.size).toBe(32);
    const first = await finished(started);
    expect(first.state, first.message ?? '').toBe('done');
    expect(first.backend).toBe('wasm');
    expect(first.lossHistory.length).toBeGreaterThan(0);
    const afterPretraining = await service.listSeries();
    expect(afterPretraining[0].pretrainedBy).toEqual([first.produced[0]]);
    expect(afterPretraining[1].pretrainedBy).toEqual([]);
    expect((await service.listModels()).map((m) => [m.kind, m.complete])).toEqual([['pretrained', true]]);
    const second = await finished(await service.startPretrain(settings));
    expect(second.state, second.message ?? '').toBe('done');
    expect(second.produced[0]).toBe(`${first.produced[0]}-run2`);
    await expect(service.startPretrain({ ...settings, name: first.produced[0] })).rejects.toThrow(/already exists/);

    const exported = await service.exportSegmentation({ seriesId: id, model: null, format: 'nifti' });
    expect(exported.path.startsWith(join(dir, 'workspace', 'exports'))).toBe(true);
    expect(exported.bytes).toBeGreaterThan(100);
  }, 240_000);

  it('lists a stopped fine-tuning as resumable and continues it from its checkpoint', async () => {
    const init = (await service.listModels()).find((m) => m.kind === 'pretrained' && m.complete)!.name;
    const started = await service.startFinetune({ init, epochs: 10_000, backend: 'wasm', name: '', predictSeriesId: null });
    while (!(await service.listJobs()).find((j) => j.id === started.id)?.lossHistory.length) await new Promise((r) => setTimeout(r, 20));
    await service.controlJob(started.id, 'cancel');
    const stopped = await finished(started);
    expect(stopped.state).toBe('cancelled');
    expect(stopped.message).toMatch(/Resume/);
    const listed = (await service.listModels()).find((m) => m.resumable);
    expect(listed).toMatchObject({ name: stopped.produced[0], kind: 'segmentation', complete: false, resumable: { init } });

    const epochs = listed!.resumable!.epochsDone + 1;
    const resumed = await finished(
      await service.startFinetune({ init, epochs, backend: 'wasm', name: listed!.name, predictSeriesId: null }),
    );
    expect(resumed.title).toMatch(/resumed/);
    expect(resumed.state, resumed.message ?? '').toBe('done');
    expect(resumed.message).toContain(`${epochs} epoch`);
    const models = await service.listModels();
    expect(models.find((m) => m.name === listed!.name)).toMatchObject({ kind: 'segmentation', complete: true });
    expect(models.some((m) => m.resumable)).toBe(false);

    // The model keeps the labels it learnt (LV, red, 500): renamed and recoloured in the
    // workspace since, its predictions and their export still say LV in red.
    const trained = models.find((m) => m.name === listed!.name)!;
    expect(trained.labels).toEqual([{ value: 500, name: 'LV', color: '#ff0000' }]);
    const current = await service.listLabels();
    await service.saveLabels(current.map((l) => (l.value === 500 ? { ...l, name: 'Tumour', color: '#00ff00' } : l)));
    expect((await service.listModels()).find((m) => m.name === trained.name)!.labels).toEqual(trained.labels);
    const seriesId = (await service.listSeries())[0].id;
    const predicted = await finished(await service.startPredict({ model: trained.name, seriesId, backend: 'wasm' }));
    expect(predicted.state, predicted.message ?? '').toBe('done');
    // Its summary names the structure as the model learnt it, not by its value.
    expect(predicted.message).toMatch(/ · LV \d+\.\d mL$/);
    // A model of a few epochs on one slice may find nothing: its stored prediction gets a
    // region of its label, as a better-trained one would find, for the export to carry.
    const workspace = Workspace.open(join(dir, 'workspace'), { create: false });
    try {
      const series = workspace.requireSeries(seriesId);
      const labels = new Uint16Array(series.rows * series.cols * series.slices);
      labels.fill(500, 0, series.rows * series.cols);
      savePrediction(workspace, series, trained.name, labels, { classes: [0, 500], volumesMl: {}, uncertainty: [], suggestedSlices: [] });
    } finally {
      workspace.close();
    }
    const exported = await service.exportSegmentation({ seriesId, model: trained.name, format: 'nifti' });
    const table = readFileSync(exported.labelTable!, 'utf8');
    expect(table).toMatch(/^\s*500\s+255\s+0\s+0\b.*"LV"/m);
    expect(table).not.toMatch(/Tumour/);
  }, 240_000);

  it('runs two segmentations at a time: the others wait as queued, a cancelled one never starts', async () => {
    const model = (await service.listModels()).find((m) => m.kind === 'segmentation' && m.complete)!.name;
    const series = await service.listSeries();
    const before = predictChildren();
    const jobs: JobSummary[] = [];
    for (const s of series) jobs.push((await service.call('startPredict', [{ model, seriesId: s.id, backend: 'wasm' }])) as JobSummary);
    expect(jobs.map((j) => j.state)).toEqual(['starting', 'starting', 'queued', 'queued']);
    expect(jobs.slice(2).map((j) => j.queue)).toEqual([
      { position: 1, reason: '2 segmentations running' },
      { position: 2, reason: '2 segmentations running' },
    ]);
    const children = new Set([...predictChildren()].filter((pid) => !before.has(pid)));
    expect(children.size).toBe(2);

    // Cancelled while queued: out of the queue, no process; the one ahead of it is not moved.
    const cancelled = await service.controlJob(jobs[3].id, 'cancel');
    expect(cancelled).toMatchObject({ state: 'cancelled', message: 'Cancelled before it started.', queue: null });
    await expect(service.controlJob(jobs[2].id, 'pause')).rejects.toThrow(/queued/);

    let mostRunning = 0;
    while ((await service.listJobs()).some((j) => jobs.some((k) => k.id === j.id) && isActiveJob(j.state))) {
      const listed = (await service.listJobs()).filter((j) => jobs.some((k) => k.id === j.id));
      mostRunning = Math.max(mostRunning, listed.filter((j) => j.state === 'starting' || j.state === 'running').length);
      for (const pid of predictChildren()) if (!before.has(pid)) children.add(pid);
      await new Promise((r) => setTimeout(r, 25));
    }
    const ended = await Promise.all(jobs.map((j) => finished(j)));
    expect(ended.map((j) => j.state)).toEqual(['done', 'done', 'done', 'cancelled']);
    expect(mostRunning).toBe(2);
    // the third started when a slot freed; the cancelled fourth never had a process
    expect(children.size).toBe(3);
    const segmented = await service.listSeries();
    expect(segmented.map((s) => s.predictedBy.includes(model))).toEqual([true, true, true, false]);
  }, 240_000);

  it('refuses unknown series at the call, in a short message, and starts no job', async () => {
    const jobs = (await service.listJobs()).length;
    const seriesIds = Array.from({ length: 2000 }, (_, k) => `not-a-series-${k}-${'x'.repeat(200)}`);
    const settings = { ...TINY_PRETRAIN, seriesIds };
    const error = (await service.call('startPretrain', [settings]).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('InputError');
    expect(error.message).toMatch(/^no series 'not-a-series-0-x+…', .* and 1995 more in this workspace/);
    expect(error.message.length).toBeLessThan(1000);
    expect((await service.listJobs()).length).toBe(jobs);
  });

  it("words a job's failure for the interface: the setting's field, not a command-line flag", async () => {
    const job = await finished(await service.startPretrain({ ...TINY_PRETRAIN, backend: 'tensorflow', name: 'needs-tensorflow' }));
    expect(job.state).toBe('failed');
    expect(job.message).toMatch(/^Compute tensorflow: .*npm install @tensorflow\/tfjs-node/);
    expect(job.message).not.toMatch(/--backend/);
  }, 120_000);
});
