import type { Progress } from '../shared/progress.ts';

/**
 * A progress bar with ETA on stderr when it is a terminal; plain, rate-limited lines
 * otherwise (CI logs, pipes), and nothing at all with `quiet`.
 */
export class ProgressBar {
  private startedAt = Date.now();
  private lastLineAt = 0;
  private lastStage = '';
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(progress: Progress): void {
    if (this.quiet) return;
    const now = Date.now();
    if (progress.stage !== this.lastStage) {
      this.startedAt = now;
      this.lastStage = progress.stage;
    }
    const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
    const finished = progress.total > 0 && progress.done >= progress.total;
    if (this.tty) {
      if (!finished && now - this.lastLineAt < 100) return;
      this.lastLineAt = now;
      const width = 28;
      const filled = Math.round(fraction * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const line = `${progress.stage} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${progress.done}/${progress.total} ${this.eta(fraction, now)}`;
      this.stream.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`);
    } else {
      if (!finished && now - this.lastLineAt < 2000) return;
      this.lastLineAt = now;
      this.stream.write(`${progress.stage}: ${progress.done}/${progress.total} (${(fraction * 100).toFixed(0)}%)\n`);
    }
  }

  private eta(fraction: number, now: number): string {
    if (fraction <= 0 || fraction >= 1) return '';
    const elapsed = (now - this.startedAt) / 1000;
    const remaining = (elapsed / fraction) * (1 - fraction);
    return `ETA ${formatSeconds(remaining)}`;
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
