import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is alive (one of another user counts: EPERM). A killed
 * process that nobody has reaped yet (a zombie) is not: it will never write again.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: /proc/PID/stat's state field (after the parenthesised name) is Z or X. Elsewhere: no way to tell, so no. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}
