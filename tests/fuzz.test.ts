import { describe, expect, it } from 'vitest';
import { runCampaign, TARGET_NAMES } from './fuzz/campaign.ts';

/**
 * The fuzzers of tests/fuzz, short and with a fixed seed (the same inputs every run):
 * every reader, mutated real files and generated ones. `npm run fuzz -- --seconds N`
 * runs them for longer with a new seed.
 */
describe('fuzzing every reader (fixed seed)', () => {
  it('finds no crash, hang, runaway allocation or unclassified file', async () => {
    const report = await runCampaign({
      targets: TARGET_NAMES,
      seed: 20_251_201,
      runs: 120,
      millisPerTarget: 6000,
      jobs: 1,
      hangMs: 20_000,
    });
    const summary = report.findings.map((f) => `${f.target} ${f.kind}: ${f.message.split('\n')[0]} (input: ${f.input})`);
    expect(summary).toEqual([]);
    expect(report.targets.map((t) => t.target).sort()).toEqual([...TARGET_NAMES].sort());
    for (const target of report.targets) expect(target.inputs, target.target).toBeGreaterThanOrEqual(30);
    // The mutations must reach past the first checks: some inputs of each DICOM target still decode.
    for (const name of ['dicom-native', 'dicom-rle', 'dicom-jpeg', 'dicom-jpeg-ls', 'dicom-jpeg2000'])
      expect(report.targets.find((t) => t.target === name)!.outcomes.image, name).toBeGreaterThan(0);
  }, 180_000);
});
