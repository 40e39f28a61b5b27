import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The demo's protocol on the built-in sample, at a size that fits CI: fine-tuning from the
 * SSMTL-pre-trained backbone and from scratch with the same seed, the same annotated
 * slices and the same stopping rule, each arm's steps and why it stopped, the equal-steps
 * variant, and the paired difference. Whether pre-training wins is a question for several
 * seeds (README: the demo, and the intensities' measurement), not for one seed in CI.
 */
const root = join(import.meta.dirname, '..');

function demo(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronously: a two-minute spawnSync would starve vitest's worker of its event loop.
  const child = spawn(process.execPath, [join(root, 'bin/ssmtl.mjs'), 'demo', ...args], { env: { ...process.env, SSMTL_QUIET: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('ssmtl demo', () => {
  it('fine-tunes both arms on the same slices, scores them on held-out subjects, and reports their paired difference', async () => {
    const workspace = join(mkdtempSync(join(tmpdir(), 'ssmtl-demo-')), 'ws');
    // One seed and one width here (the demo's defaults are 3 seeds, widths 8 and 16): CI's time.
    const result = await demo([
      '--workspace',
      workspace,
      '--subjects',
      '3',
      '--slices',
      '32',
      '--annotated',
      '3',
      '--seed',
      '0',
      '--seeds',
      '1',
      '--width',
      '8',
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    // CONTRACT.md's fields
    expect(out).toMatchObject({ workspace, series: 3, pretrain: { method: 'ssmtl', backbone: 'unet', epochs: 10 } });
    expect(out.pretrain.loss.last).toBeLessThan(out.pretrain.loss.first);
    const { pretrained, scratch } = out.miou;
    expect(pretrained).toBeGreaterThan(0);
    expect(scratch).toBeGreaterThanOrEqual(0);
    // the same data and schedule for both
    expect(out.finetune.pretrained.trainSlices).toBe(6);
    expect(out.finetune.scratch.trainSlices).toBe(6);
    expect(out.finetune.scratch).toMatchObject({
      size: out.finetune.pretrained.size,
      width: out.finetune.pretrained.width,
      classes: out.finetune.pretrained.classes,
    });
    expect(out.finetune.pretrained.classes).toEqual([0, 420, 500, 550, 600]);
    // scored on subjects that were not trained on
    expect(out.withinScan).toBe(false);
    // each arm's steps and why it stopped; the equal-steps variant trains both for the longer arm's steps
    const [run] = out.widths;
    expect(run.width).toBe(8);
    const { stoppingRule, equalSteps } = run.seeds[0];
    for (const arm of [stoppingRule.pretrained, stoppingRule.scratch]) {
      expect(arm.steps).toBeGreaterThan(0);
      expect(['converged', 'fit', 'max-steps']).toContain(arm.stoppedBecause);
    }
    expect(equalSteps.steps).toBe(Math.max(stoppingRule.pretrained.steps, stoppingRule.scratch.steps));
    expect([equalSteps.pretrained.steps, equalSteps.scratch.steps]).toEqual([equalSteps.steps, equalSteps.steps]);
    expect(run.stoppingRule.difference.perSeed).toEqual([Math.round((pretrained - scratch) * 1e4) / 1e4]);
    expect(out.intensity).toBe('CT window level 40, width 400 (soft-tissue)');
  }, 400_000);

  it('with one subject, scores the training scan itself and labels the result within-scan; seeds draw their own slices and are summarized, in JSON and text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-demo-one-'));
    const tiny = ['--subjects', '1', '--slices', '16', '--image-size', '32', '--size', '32', '--widths', '2,4', '--pretrain-epochs', '1'];
    const small = [...tiny, '--epochs', '1', '--annotated', '2', '--seeds', '2', '--backend', 'wasm'];
    const json = await demo(['--workspace', join(dir, 'json'), ...small, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ trainSeries: 1, testSeries: 1, withinScan: true, seeds: 2 });
    // the annotated slices are not scored
    expect(out.slicesScored).toBe(16 - 2);
    // both widths reported, each with both seeds; the seeds annotate other slices
    expect(out.widths.map((w: { width: number }) => w.width)).toEqual([2, 4]);
    for (const w of out.widths) {
      expect(w.seeds.map((s: { seed: number }) => s.seed)).toEqual([0, 1]);
      const drawn = w.seeds.map((s: { annotatedSlices: Record<string, number[]> }) => JSON.stringify(Object.values(s.annotatedSlices)));
      expect(drawn[0]).not.toBe(drawn[1]);
      // a fixed epoch count trains both arms for the same steps: no separate equal-steps variant
      expect(w.seeds[0].equalSteps).toBeNull();
      expect(w.stoppingRule.pretrained.n).toBe(2);
      expect(w.stoppingRule.difference.perSeed).toHaveLength(2);
    }
    const text = await demo(['--workspace', join(dir, 'text'), ...small]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/scored on 14 slices of 1 scan\(s\) \(within-scan: the scored scan is the training scan/);
    expect(text.stdout).toMatch(/width 2: [\s\S]*width 4: /);
    expect(text.stdout).toMatch(/\| mean ± sd \(2\) \| \d\.\d{3} ± \d\.\d{3} \|/);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
