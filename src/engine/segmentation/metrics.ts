/**
 * Per-class overlap scores of a segmentation against ground truth (paper Sec. 4.2 reports
 * per-class IoU and their mean, mIoU). Counts accumulate over slices (and series), so a
 * score is over all scored voxels at once, not an average of per-slice scores.
 */
export class OverlapCounts {
  /** per class value: [intersection, predicted, truth] voxel counts */
  readonly counts = new Map<number, [number, number, number]>();

  constructor(readonly classes: number[]) {
    for (const v of classes) this.counts.set(v, [0, 0, 0]);
  }

  add(predicted: Uint16Array, truth: Uint16Array): void {
    if (predicted.length !== truth.length) throw new Error(`prediction has ${predicted.length} voxels, truth ${truth.length}`);
    for (let p = 0; p < predicted.length; p++) {
      const a = this.counts.get(predicted[p]);
      const b = this.counts.get(truth[p]);
      if (a) a[1]++;
      if (b) b[2]++;
      if (a && predicted[p] === truth[p]) a[0]++;
    }
  }

  merge(other: OverlapCounts): void {
    for (const [v, c] of other.counts) {
      const mine = this.counts.get(v);
      if (mine) for (let i = 0; i < 3; i++) mine[i] += c[i];
      else this.counts.set(v, [...c]);
    }
  }

  /** IoU per class; null where the class is in neither prediction nor truth (undefined, left out of the mean). */
  iou(): Record<string, number | null> {
    return this.score((i, p, t) => i / (p + t - i));
  }

  dice(): Record<string, number | null> {
    return this.score((i, p, t) => (2 * i) / (p + t));
  }

  /** Mean IoU over the given classes (default: all but background) that are defined. */
  miou(over: number[] = this.classes.filter((v) => v !== 0)): number | null {
    const iou = this.iou();
    const values = over.map((v) => iou[String(v)]).filter((x): x is number => x !== null && x !== undefined);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  }

  private score(f: (i: number, p: number, t: number) => number): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const v of this.classes) {
      const [i, p, t] = this.counts.get(v) as [number, number, number];
      out[String(v)] = p + t === 0 ? null : f(i, p, t);
    }
    return out;
  }
}
