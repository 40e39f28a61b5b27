import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProtocolJobRequest } from '../../../../tests/helpers/protocol-job.ts';
import { FAILURE_MESSAGE_MAX_CHARS, JobFailedError } from './job-failed-error.ts';
import { sourceEntry } from './process-entry.ts';
import { startJobProcess } from './start-job-process.ts';

/** The process protocol (job-messages.ts) end to end, with a job that only answers (tests/helpers/protocol-job.ts). */
/** The fixture never opens its workspace. */
const workspace = tmpdir();
const FIXTURE = sourceEntry(join(import.meta.dirname, '..', '..', '..', '..', 'tests', 'helpers', 'protocol-job.ts'));

function start(request: ProtocolJobRequest, onEvent: (event: { tick: number }) => void = () => {}) {
  return startJobProcess<ProtocolJobRequest, { tick: number }, { text: string }>(FIXTURE, request, onEvent, 'test');
}

describe('a job process', () => {
  it('exits only once its last message is delivered, however large', async () => {
    // Far more than the channel takes in the moment before a timed exit would cut it.
    const bytes = 32 * 1024 * 1024;
    const job = start({ workspace, answer: 'result', bytes });
    const { text } = await job.result;
    expect(text.length).toBe(bytes);
    // It says what it used: at least the 32 MB string it built (UTF-16 in V8), and some CPU.
    const usage = await job.usage;
    expect(usage!.peakRssMb).toBeGreaterThan(bytes / 2 ** 20);
    expect(usage!.cpuSeconds).toBeGreaterThan(0);
  }, 180_000);

  it('caps a very large failure message, saying how much was cut, and keeps its kind', async () => {
    const error = (await start({ workspace, answer: 'input-error', chars: 1_000_000 }).result.catch((e: unknown) => e)) as JobFailedError;
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error.kind).toBe('input');
    expect(error.message.length).toBeLessThan(FAILURE_MESSAGE_MAX_CHARS + 100);
    expect(error.message).toMatch(
      new RegExp(`^y{${FAILURE_MESSAGE_MAX_CHARS}} … \\(${1_000_000 - FAILURE_MESSAGE_MAX_CHARS} more characters cut\\)$`),
    );
  }, 60_000);

  it('streams events and stops on cancel; one that ends without an answer fails as internal', async () => {
    const ticks: number[] = [];
    const job = start({ workspace, answer: 'wait-for-cancel' }, (event) => {
      ticks.push(event.tick);
      if (ticks.length === 3) job.cancel();
    });
    expect(await job.result).toEqual({ text: 'stopped' });
    expect(ticks.slice(0, 3)).toEqual([0, 1, 2]);
    expect((await job.usage)!.peakRssMb).toBeGreaterThan(0);
    const crashed = start({ workspace, answer: 'crash' });
    await expect(crashed.result).rejects.toMatchObject({
      kind: 'internal',
      message: 'the test process ended unexpectedly (exit code 3)',
    });
    // A process that died without answering measured nothing.
    expect(await crashed.usage).toBeNull();
  }, 60_000);
});
