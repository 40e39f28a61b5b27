import type { Backbone, PretrainMethod } from './job.ts';

/**
 * The pre-training methods as a person chooses among them (the Pre-train screen, the
 * CLI's errors): a name, one line on what it does, and the backbones it can train.
 */
export interface PretrainMethodInfo {
  method: PretrainMethod;
  label: string;
  summary: string;
  backbones: readonly Backbone[];
}

export const PRETRAIN_METHOD_INFO: Record<PretrainMethod, PretrainMethodInfo> = {
  ssmtl: {
    method: 'ssmtl',
    label: 'SSMTL',
    summary: 'Learns the anatomy by predicting the slices t before and t after each slice (the paper’s method; best with the U-Net).',
    backbones: ['unet', 'resnet50-fcn'],
  },
  'ssmtl+': {
    method: 'ssmtl+',
    label: 'SSMTL+',
    summary: 'SSMTL plus a similarity task: two nearby slices of a scan should look alike to the encoder (ResNet50-FCN).',
    backbones: ['resnet50-fcn'],
  },
  mocov2: {
    method: 'mocov2',
    label: 'MoCo v2',
    summary: 'The contrastive baseline of the paper: tells each slice apart from 1024 others (ResNet50 encoder only).',
    backbones: ['resnet50-fcn'],
  },
};

export const BACKBONE_LABELS: Record<Backbone, string> = { unet: 'U-Net', 'resnet50-fcn': 'ResNet50-FCN' };

/** Why a method cannot train a backbone, or null when it can. */
export function backboneProblem(method: PretrainMethod, backbone: Backbone): string | null {
  const info = PRETRAIN_METHOD_INFO[method];
  if (info.backbones.includes(backbone)) return null;
  return `${info.label} trains ${info.backbones.map((b) => BACKBONE_LABELS[b]).join(' or ')} only (it needs a separate ResNet50 encoder), not a ${BACKBONE_LABELS[backbone]}`;
}
