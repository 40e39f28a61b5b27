import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A real one-node Slurm cluster (Debian's slurm-wlm and munge) on loopback, for tests:
 * its own munge key and socket, controller and node daemons in the foreground on free
 * ports, a throwaway state folder. Commands reach it through `env` (SLURM_CONF).
 */
export const slurmInstalled = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch'].every((p) =>
  existsSync(p),
);

export interface SlurmCluster {
  env: Record<string, string>;
  /** Waits until none of these jobs is pending or running. */
  waitFor(jobIds: string[], timeoutMs: number): Promise<void>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurmCluster(): Promise<SlurmCluster> {
  // Short path: munge's socket path must fit in a sockaddr_un.
  const dir = mkdtempSync('/tmp/slurm-');
  for (const sub of ['state', 'spool', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o600 });
  const controller = hostname().split('.')[0];
  const user = userInfo().username;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=ssmtltest',
      `SlurmctldHost=${controller}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${join(dir, 'munge.sock')}`,
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      // No cgroups in a container: track processes by their parent, no task binding.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'MpiDefault=none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      `NodeName=ssmtl-node NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=1000 State=UNKNOWN`,
      'PartitionName=debug Nodes=ssmtl-node Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const daemon = (command: string, args: string[]) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
    daemons.push(child);
  };
  daemon('/usr/sbin/munged', [
    '--foreground',
    '--force',
    `--socket=${join(dir, 'munge.sock')}`,
    `--key-file=${join(dir, 'munge.key')}`,
    `--pid-file=${join(dir, 'munged.pid')}`,
    `--log-file=${join(dir, 'log', 'munged.log')}`,
    `--seed-file=${join(dir, 'munged.seed')}`,
  ]);
  const stop = () => {
    for (const child of daemons) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const slurm = (command: string, args: string[]) =>
    spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
  try {
    for (let i = 0; i < 100 && !existsSync(join(dir, 'munge.sock')); i++) await sleep(100);
    daemon('/usr/sbin/slurmctld', ['-D', '-i']);
    daemon('/usr/sbin/slurmd', ['-D', '-N', 'ssmtl-node']);
    for (let i = 0; ; i++) {
      const state = slurm('sinfo', ['-h', '-o', '%T']).stdout?.trim();
      if (state === 'idle') break;
      if (i === 120) {
        const log = (f: string) => (existsSync(join(dir, 'log', f)) ? readFileSync(join(dir, 'log', f), 'utf8').slice(-2000) : '');
        throw new Error(`the test's Slurm node did not become idle (state '${state}'):\n${log('slurmctld.log')}\n${log('slurmd.log')}`);
      }
      await sleep(500);
    }
  } catch (error) {
    stop();
    throw error;
  }
  return {
    env,
    async waitFor(jobIds, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (slurm('squeue', ['-h', '-j', jobIds.join(','), '-o', '%i %T']).stdout?.trim()) {
        if (Date.now() > until) throw new Error(`Slurm jobs ${jobIds.join(', ')} still queued or running after ${timeoutMs} ms`);
        await sleep(1000);
      }
    },
    stop,
  };
}
