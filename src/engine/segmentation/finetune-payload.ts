import type { FinetuneRunSettings } from '../../shared/segmentation.ts';
import type { FinetuneProgress } from './finetune-trainer.ts';
import type { FinetuneRequest } from './placed-finetuner.ts';
import { concatChunks, decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint-codec.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * A FinetuneRequest as bytes (the checkpoint layout), for a page's GPU worker: header =
 * the settings, the classes and their pixel counts, the backbone's source and a resumed
 * run's progress; tensors = "backbone/…", "example/<k>/image", "example/<k>/target"
 * (class indices as float32) and "resume/…".
 */
interface PayloadHeader {
  kind: 'ssmtl-finetune-task';
  settings: FinetuneRunSettings;
  classes: number[];
  pixelCounts: number[];
  examples: number;
  backboneSource: string | null;
  resume: { progress: FinetuneProgress; adamStep: number } | null;
}

export function encodeFinetunePayload(request: FinetuneRequest): Uint8Array {
  const { network, size, width, batch, lr, seed, epochs } = request;
  const header: PayloadHeader = {
    kind: 'ssmtl-finetune-task',
    settings: { network, size, width, batch, lr, seed, epochs },
    classes: request.classes,
    pixelCounts: request.pixelCounts,
    examples: request.examples.length,
    backboneSource: request.backbone?.source ?? null,
    resume: request.resume && { progress: request.resume.progress, adamStep: request.resume.adamStep },
  };
  const tensors: TensorRecord[] = [];
  for (const t of request.backbone?.tensors ?? []) tensors.push({ ...t, name: `backbone/${t.name}` });
  request.examples.forEach((e, k) => {
    tensors.push({ name: `example/${k}/image`, shape: [size, size], data: e.image });
    tensors.push({ name: `example/${k}/target`, shape: [size, size], data: Float32Array.from(e.target) });
  });
  for (const t of request.resume?.tensors ?? []) tensors.push({ ...t, name: `resume/${t.name}` });
  return concatChunks(encodeCheckpoint(header as unknown as Record<string, unknown>, tensors));
}

export function decodeFinetunePayload(bytes: Uint8Array): FinetuneRequest {
  const { header, tensors } = decodeCheckpoint(bytes, 'the fine-tuning task');
  const h = header as unknown as PayloadHeader;
  if (h.kind !== 'ssmtl-finetune-task') throw new Error('the fine-tuning task has the wrong kind');
  const prefixed = (prefix: string) =>
    tensors.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const examples = Array.from({ length: h.examples }, (_, k) => {
    const image = byName.get(`example/${k}/image`);
    const target = byName.get(`example/${k}/target`);
    if (!image || !target) throw new Error(`the fine-tuning task lacks example ${k}`);
    return { image: image.data, target: Uint8Array.from(target.data) };
  });
  return {
    ...h.settings,
    classes: h.classes,
    pixelCounts: h.pixelCounts,
    examples,
    backbone: h.backboneSource === null ? null : { tensors: prefixed('backbone/'), source: h.backboneSource },
    resume: h.resume && { ...h.resume, tensors: prefixed('resume/') },
  };
}
