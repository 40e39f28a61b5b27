import { mkdtempSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts';

const tensors = (fill: number) => [
  { name: 'a', shape: [2, 3], data: new Float32Array(6).fill(fill) },
  { name: 'b', shape: [1000], data: new Float32Array(1000).fill(fill + 1) },
];

describe('checkpoint files', () => {
  it('round-trips tensors and metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-ck-'));
    const path = join(dir, 'checkpoint.bin');
    writeCheckpointFile(path, { epoch: 3, note: 'é' }, tensors(1));
    const { header, tensors: back } = readCheckpointFile(path);
    expect(header.epoch).toBe(3);
    expect(header.note).toBe('é');
    expect(back.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Array.from(back[1].data.slice(0, 3))).toEqual([2, 2, 2]);
  });

  it('a write that fails halfway (disk full) leaves the previous checkpoint valid and no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-ck-'));
    const path = join(dir, 'checkpoint.bin');
    writeCheckpointFile(path, { epoch: 1 }, tensors(1));
    let written = 0;
    const fullDisk = (fd: number, data: Uint8Array) => {
      if (written + data.length > 2000) {
        writeSync(fd, data, 0, Math.max(0, 2000 - written));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      written += writeSync(fd, data);
    };
    expect(() => writeCheckpointFile(path, { epoch: 2 }, tensors(5), fullDisk)).toThrow(/ENOSPC/);
    const { header, tensors: back } = readCheckpointFile(path);
    expect(header.epoch).toBe(1);
    expect(back[0].data[0]).toBe(1);
    expect(readdirSync(dir)).toEqual(['checkpoint.bin']);
  });

  it('detects a truncated or foreign file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-ck-'));
    const path = join(dir, 'checkpoint.bin');
    writeCheckpointFile(path, { epoch: 1 }, tensors(1));
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expect(() => readCheckpointFile(path)).toThrow(/truncated/);
    writeFileSync(path, 'hello');
    expect(() => readCheckpointFile(path)).toThrow(/not a valid checkpoint/);
  });
});
