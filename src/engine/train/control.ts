/**
 * Pause / resume / cancel for a running job, checked by the trainer between steps (a step
 * is never interrupted halfway, so weights and optimizer state always stay consistent).
 */
export class JobControl {
  private pausedFlag = false;
  private cancelledFlag = false;
  private wake: (() => void) | null = null;

  get paused(): boolean {
    return this.pausedFlag;
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
    this.wake?.();
  }

  cancel(): void {
    this.cancelledFlag = true;
    this.wake?.();
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
