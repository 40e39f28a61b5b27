import { main } from '../../src/cli/main.ts';

/**
 * Runs `ssmtl ARGS` in this process, as bin/ssmtl.mjs would, and collects what it
 * prints and its exit code. Unlike a child started with spawnSync, it leaves this
 * process's event loop running, so servers the test runs (a relay, a fake PACS) keep
 * answering; and it saves the seconds a new Node process takes to start.
 */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let running = false;

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (running) throw new Error('runCli: one command at a time (it borrows process.stdout and process.stderr)');
  running = true;
  const saved = new Map(Object.keys({ SSMTL_QUIET: '', ...env }).map((name) => [name, process.env[name]]));
  Object.assign(process.env, { SSMTL_QUIET: '1', ...env });
  const out: string[] = [];
  const err: string[] = [];
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await main(args);
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    running = false;
  }
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) };
}
