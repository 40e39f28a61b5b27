/**
 * Pause / resume / cancel for a running job, checked by the trainer between steps (a step
 * is never interrupted halfway, so weights and optimizer state always stay consistent).
 */
export class JobControl {
  private pausedFlag = false;
  private cancelledFlag = false;
  private wake: (() => void) | null = null;
  private readonly listeners = new Set<(command: 'pause' | 'resume' | 'cancel') => void>();

  get paused(): boolean {
    return this.pausedFlag;
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  pause(): void {
    this.pausedFlag = true;
    this.notify('pause');
  }

  resume(): void {
    this.pausedFlag = false;
    this.wake?.();
    this.notify('resume');
  }

  cancel(): void {
    this.cancelledFlag = true;
    this.wake?.();
    this.notify('cancel');
  }

  /** Hears every command (a trainer running elsewhere gets them forwarded); returns the unsubscribe. */
  onCommand(listener: (command: 'pause' | 'resume' | 'cancel') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(command: 'pause' | 'resume' | 'cancel'): void {
    for (const listener of this.listeners) listener(command);
  }

  /** Resolves when not paused (or when cancelled). */
  waitWhilePaused(): Promise<void> {
    if (!this.pausedFlag || this.cancelledFlag) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (!this.pausedFlag || this.cancelledFlag) {
          this.wake = null;
          resolve();
        }
      };
    });
  }
}
