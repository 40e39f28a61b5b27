import { describe, expect, it } from 'vitest';
import type { PretrainSettings } from '../../../shared/api.ts';
import { finetuneProblems, pretrainProblems, problemsLine } from './settings-checks.ts';

const paper: PretrainSettings = {
  seriesIds: [],
  method: 'ssmtl',
  t: 5,
  epochs: 100,
  size: 256,
  width: 64,
  batch: 16,
  backend: 'auto',
  name: '',
};

describe('training settings checks', () => {
  it("find nothing wrong with the paper's settings", () => {
    expect(pretrainProblems(paper)).toEqual({});
    expect(finetuneProblems({ epochs: 50 })).toEqual({});
  });

  it('say what is wrong in the words of the form, never in API terms', () => {
    const problems = pretrainProblems({ ...paper, size: 250, epochs: 0, batch: 2.5, width: Number.NaN });
    expect(problems).toEqual({
      size: 'The image size is a multiple of 16 (the network halves it four times): 256 is the nearest.',
      epochs: 'The number of epochs is from 1 to 100,000.',
      batch: 'The batch is a whole number.',
      width: 'Enter the network width.',
    });
    expect(problemsLine(problems)).not.toMatch(/argument|integer|\[/);
    expect(pretrainProblems({ ...paper, size: 4096 }).size).toBe('The image size is from 16 to 2,048.');
    expect(finetuneProblems({ epochs: Number.NaN }).epochs).toBe('Enter the number of epochs.');
  });

  it('hold the ResNet50 (SSMTL+, MoCo v2) to its own sizes: multiples of 32, at least 64', () => {
    expect(pretrainProblems({ ...paper, method: 'mocov2', size: 224 })).toEqual({});
    expect(pretrainProblems({ ...paper, method: 'ssmtl+', size: 240 }).size).toBe(
      'The image size is a multiple of 32 (the network halves it five times): 256 is the nearest.',
    );
    expect(pretrainProblems({ ...paper, method: 'ssmtl', backbone: 'resnet50-fcn', size: 32 }).size).toBe(
      'The image size is from 64 to 2,048.',
    );
    expect(pretrainProblems({ ...paper, method: 'ssmtl', backbone: 'unet', size: 48 })).toEqual({});
  });
});
