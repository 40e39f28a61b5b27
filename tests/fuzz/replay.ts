/**
 * Runs one saved input through one fuzz target and prints what happened, with the full
 * stack and the bytes allocated: `npx tsx tests/fuzz/replay.ts TARGET FILE.bin`.
 */
import { allocatedBytes, installAllocationMeter, resetAllocated } from './alloc-meter.ts';

installAllocationMeter();
const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { createTargets } = await import('./targets.ts');

const [name, file] = process.argv.slice(2);
const scratch = mkdtempSync(join(tmpdir(), 'ssmtl-replay-'));
try {
  const target = (await createTargets(scratch)).find((t) => t.name === name);
  if (!target || !file) throw new Error('usage: replay.ts TARGET FILE.bin');
  const bytes = new Uint8Array(readFileSync(file));
  const fileName = name === 'scan' ? 'input.dcm' : name === 'label-volumes' ? 'labels.dcm' : undefined;
  resetAllocated();
  const t0 = performance.now();
  try {
    console.log('outcome:', await target.run({ name: file, bytes, fileName }));
  } catch (error) {
    console.log(target.documented(error) !== null ? 'documented refusal:' : 'CRASH:', error);
  }
  console.log(`${Math.round(performance.now() - t0)} ms, ${allocatedBytes()} bytes allocated for ${bytes.length} input bytes`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
