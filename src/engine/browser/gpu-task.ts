import type { GpuFinetuneTask, GpuJobEvent, GpuPredictTask, GpuPretrainTask, GpuReport, GpuUploadPart } from '../../shared/gpu-worker.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import { predictSlices, type PredictRequest } from '../segmentation/predict.ts';
import { encodePrediction } from '../segmentation/prediction-bytes.ts';
import { createSegmentationNet, loadAll } from '../segmentation/segmentation-net.ts';
import { decodeFinetunePayload } from '../segmentation/finetune-payload.ts';
import { networkWeights } from '../networks/network-weights.ts';
import { buildFinetuner } from '../segmentation/placed-finetuner.ts';
import type { JobEvent } from '../../shared/job.ts';
import { resizeBilinear } from '../data/preprocess.ts';
import { InMemorySliceSource } from '../data/slice-source.ts';
import { concatChunks, decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint-codec.ts';
import type { JobControl } from '../train/control.ts';
import { NonFiniteLossError } from '../train/errors.ts';
import { SsmtlTrainer, type TensorRecord, type TrainerSnapshot } from '../train/ssmtl-trainer.ts';

/**
 * The tasks a page's GPU worker runs (shared/gpu-worker.ts), on whatever tfjs backend is
 * active: pre-training (load the series, restore a resumed run, train), fine-tuning
 * (build the network from the payload, train) and prediction (segment a series); every
 * checkpoint, the final weights and predictions go to the engine host, which writes them. The worker entry (training-worker.ts) connects
 * these to the page; tests connect them to the engine host directly.
 */
export interface GpuTaskIo {
  control: JobControl;
  report(report: GpuReport): void;
  /** resolves once the host has written the bytes (checkpoint layout of checkpoint-codec.ts) */
  upload(kind: GpuUploadPart['kind'], reason: GpuUploadPart['reason'], bytes: Uint8Array): Promise<void>;
  /** one slice as stored (float32, rows × cols) */
  fetchSlice(seriesId: string, index: number): Promise<Float32Array>;
}

const FORWARDED: JobEvent['type'][] = ['progress', 'epoch', 'checkpoint', 'state', 'log'];

const send = (
  io: GpuTaskIo,
  kind: GpuUploadPart['kind'],
  reason: GpuUploadPart['reason'],
  meta: Record<string, unknown>,
  tensors: TensorRecord[],
) => io.upload(kind, reason, concatChunks(encodeCheckpoint(meta, tensors)));

function failed(io: GpuTaskIo, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  io.report({ type: 'failed', kind: error instanceof NonFiniteLossError ? 'nan' : 'internal', message });
}

export async function runPretrainTask(task: GpuPretrainTask, resume: Uint8Array | null, io: GpuTaskIo): Promise<void> {
  let trainer: SsmtlTrainer | null = null;
  try {
    const source = await loadSeries(task, io);
    trainer = new SsmtlTrainer(source, task.config);
    if (resume) {
      const { header, tensors } = decodeCheckpoint(resume, 'the checkpoint to resume from');
      const { tensors: _index, ...rest } = header;
      const snapshot = { ...rest, tensors } as unknown as TrainerSnapshot;
      trainer.restore({ ...snapshot, config: { ...snapshot.config, epochs: task.config.epochs } });
    }
    const active = trainer;
    const result = await active.run({
      control: io.control,
      checkpointIntervalMs: task.checkpointIntervalMs,
      onEvent: (event) => {
        if (FORWARDED.includes(event.type)) io.report({ type: 'event', event: event as GpuJobEvent });
      },
      onCheckpoint: async ({ tensors, ...rest }, reason) =>
        send(io, 'checkpoint', reason, rest as unknown as Record<string, unknown>, tensors),
    });
    if (result.status === 'done') await send(io, 'weights', 'done', { kind: 'ssmtl-weights' }, await active.weights());
    io.report({ type: 'finished', result });
  } catch (error) {
    failed(io, error);
  } finally {
    trainer?.dispose();
  }
}

export async function runFinetuneTask(task: GpuFinetuneTask, payload: Uint8Array, io: GpuTaskIo): Promise<void> {
  let built: ReturnType<typeof buildFinetuner> | null = null;
  try {
    built = buildFinetuner(decodeFinetunePayload(payload), task.config.microBatch);
    const { net, trainer } = built;
    const result = await trainer.run({
      control: io.control,
      checkpointIntervalMs: task.checkpointIntervalMs,
      onEvent: (event) => io.report({ type: 'event', event }),
      // Fine-tuning checkpoints only on cancel and at intervals (the trainer says when).
      onCheckpoint: ({ tensors, progress, adamStep }) => send(io, 'checkpoint', 'interval', { progress, adamStep }, tensors),
    });
    if (result.status === 'done') await send(io, 'weights', 'done', { kind: 'ssmtl-segmentation-weights' }, await networkWeights(net));
    io.report({ type: 'finished', result });
  } catch (error) {
    failed(io, error);
  } finally {
    built?.trainer.dispose();
    built?.net.dispose();
  }
}

export async function runPredictTask(task: GpuPredictTask, payload: Uint8Array, io: GpuTaskIo): Promise<void> {
  let net: DenseNetwork | null = null;
  try {
    const { header, tensors } = decodeCheckpoint(payload, 'the model to segment with');
    const model = header as unknown as PredictRequest['model'];
    const built = createSegmentationNet(model.network ?? 'unet', model.width, model.classes, model.seed);
    net = built;
    loadAll(built, tensors, `model '${model.name}'`);
    const t0 = performance.now();
    const { series } = task;
    const prediction = await predictSlices(
      built,
      model,
      series,
      (k) => io.fetchSlice(series.id, k),
      (done, total) => {
        // Nothing to keep from a cancelled prediction: stop between chunks of slices.
        if (io.control.cancelled) throw new Error('cancelled');
        io.report({ type: 'event', event: { type: 'slices', done, total } });
      },
    );
    await io.upload('prediction', 'done', encodePrediction(prediction));
    io.report({ type: 'finished', result: { status: 'done', seconds: (performance.now() - t0) / 1000 } });
  } catch (error) {
    failed(io, error);
  } finally {
    net?.dispose();
  }
}

/** Every slice of the task's series, resized to the training size as it arrives (memory: size² per slice). */
async function loadSeries(task: GpuPretrainTask, io: GpuTaskIo): Promise<InMemorySliceSource> {
  const { size } = task.config;
  const source = new InMemorySliceSource();
  const total = task.series.reduce((n, s) => n + s.slices, 0);
  let done = 0;
  let reported = 0;
  for (const series of task.series) {
    const volume = new Float32Array(series.slices * size * size);
    const indices = [...Array(series.slices).keys()];
    const loadOne = async (index: number) => {
      const raw = await io.fetchSlice(series.id, index);
      if (raw.length !== series.rows * series.cols)
        throw new Error(`slice ${index} of series ${series.id}: ${raw.length} values, expected ${series.rows}×${series.cols}`);
      volume.set(resizeBilinear(raw, series.rows, series.cols, size, size), index * size * size);
      done++;
      if (done - reported >= Math.max(1, total / 20) || done === total) {
        reported = done;
        io.report({ type: 'event', event: { type: 'log', message: `loading slices: ${done}/${total}` } });
      }
    };
    // A few requests in flight: the host answers each from its pixel file.
    const lanes = Array.from({ length: 6 }, async () => {
      for (let index = indices.shift(); index !== undefined; index = indices.shift()) await loadOne(index);
    });
    await Promise.all(lanes);
    source.add(series.id, series.slices, size, size, volume);
  }
  return source;
}
