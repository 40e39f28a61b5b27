import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Folders that cannot be written, for tests of what the CLI and `serve` do with them. Tests
 * run as root here, and root writes through `chmod a-w`; so the read-only file system is
 * a read-only bind mount and the full disk a small tmpfs, each in a mount namespace of
 * its own (`unshare -rm`, needing no privilege but user namespaces), and the refused
 * write a command run as `nobody` (setpriv) on a folder without write permission.
 * Each launcher is an argv prefix: `[...launcher, command, ...args]`.
 */
const probe = (args: string[]) => spawnSync(args[0], args.slice(1), { encoding: 'utf8' }).status === 0;

export const canMountPrivately = probe(['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && touch /mnt/x']);
export const canDropToNobody = process.getuid?.() === 0 && probe(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'true']);

/** Runs the command with `dir` mounted read-only (EROFS) in a mount namespace of its own. */
export function readOnlyMount(dir: string): string[] {
  return ['unshare', '-rm', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', dir];
}

/**
 * Runs the command with a tmpfs of `kib` KiB mounted on `dir` holding a copy of `source`
 * (when given), after filling it up to `leaveKib` KiB free (when given).
 */
export function fullDisk(dir: string, kib: number, { source, leaveKib }: { source?: string; leaveKib?: number } = {}): string[] {
  const steps = [
    `mount -t tmpfs -o size=${kib}k tmpfs "$0"`,
    ...(source ? [`cp -a "${source}/." "$0"/`] : []),
    ...(leaveKib !== undefined
      ? [
          `free=$(df -k --output=avail "$0" | tail -1); fill=$((free - ${leaveKib})); [ $fill -le 0 ] || head -c $((fill * 1024)) /dev/zero > "$0/.filler" 2>/dev/null || true`,
        ]
      : []),
    'exec "$@"',
  ];
  return ['unshare', '-rm', 'sh', '-c', steps.join(' && '), dir];
}

/** Runs the command as `nobody` (uid 65534); pair with a folder it may read but not write. */
export const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** A temporary folder that `nobody` may enter (mkdtemp's are 0700). */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Removes what a test made read-only for others. */
export function removeTree(dir: string): void {
  spawnSync('chmod', ['-R', 'u+w', dir]);
  rmSync(dir, { recursive: true, force: true });
}
