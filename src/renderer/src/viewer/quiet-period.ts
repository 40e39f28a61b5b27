/**
 * When the user last worked in a view (a scroll, a stroke), and a wait for them to pause:
 * work that holds the page for a while (building the views across the slices takes about
 * a second of software WebGL) waits until the view has been left alone, instead of
 * landing in the middle of a scroll.
 */
export class QuietPeriod {
  private last = -Infinity;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  touch(): void {
    this.last = this.now();
  }

  /** Resolves once `ms` have passed with no touch (at once when none came that recently). */
  async settled(ms: number): Promise<void> {
    for (let left = ms - (this.now() - this.last); left > 0; left = ms - (this.now() - this.last)) await this.sleep(left);
  }
}
