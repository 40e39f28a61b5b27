import type { SkippedAnchorsInfo } from '../../shared/job.ts';
import { Random } from '../random.ts';
import type { SliceSeries } from './slice-source.ts';
import {
  atExpectedDistance,
  describeIrregularity,
  irregularityBetween,
  measurePositions,
  SPACING_TOLERANCE,
  type IrregularityReason,
  type SlicePositions,
} from './slice-spacing.ts';

/**
 * The SSMTL sampler (paper Sec. 3.2, Fig. 5): an anchor x_j is usable only where both
 * x_{j−t} and x_{j+t} exist in the same series, for every t in T — and, where the series
 * says where its slices lie, only where they lie t slice spacings (the median) from x_j,
 * within SPACING_TOLERANCE of a spacing: an anchor whose targets span a gap, a duplicate
 * or drifting spacing would be asked to predict other anatomy than its t says, and is
 * left out, counted by reason. Several t give 2·|T| targets per anchor, ordered
 * [x_{j−t1}, x_{j+t1}, x_{j−t2}, x_{j+t2}, …].
 */
export interface Anchor {
  series: string;
  index: number;
}

export interface SkippedSeries {
  series: string;
  reason: string;
}

/** Anchors of one series left out because a target is not t spacings away in the scan. */
export type SkippedAnchors = SkippedAnchorsInfo;

export interface AnchorPlan {
  anchors: Anchor[];
  skipped: SkippedSeries[];
  /** per series with anchors left out for the scan's spacing (gap, duplicate, uneven) */
  skippedAnchors?: SkippedAnchors[];
  /** used series that do not say where their slices lie: slice indices stand in for distances */
  withoutPositions?: string[];
  /** slice positions of used series that have them (SSMTL+ draws partners by distance) */
  positions?: Record<string, readonly number[]>;
  /** the series that contributed anchors */
  used: string[];
  ts: number[];
  /** slices of every used series (the similarity task draws its partner within them) */
  lengths?: Record<string, number>;
}

export function validateOffsets(ts: number[]): number[] {
  if (ts.length === 0) throw new Error('at least one slice distance t is needed');
  for (const t of ts) if (!Number.isInteger(t) || t < 1) throw new Error(`slice distance t must be a positive integer, got ${t}`);
  if (new Set(ts).size !== ts.length) throw new Error(`slice distances repeat: ${ts.join(', ')}`);
  return [...ts];
}

export function planAnchors(series: SliceSeries[], ts: number[]): AnchorPlan {
  validateOffsets(ts);
  const tMax = Math.max(...ts);
  const anchors: Anchor[] = [];
  const skipped: SkippedSeries[] = [];
  const skippedAnchors: SkippedAnchors[] = [];
  const withoutPositions: string[] = [];
  const positions: Record<string, readonly number[]> = {};
  const used: string[] = [];
  // Sorted by id so that the plan does not depend on the order the store lists series in.
  for (const s of [...series].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (s.rows < 2 || s.cols < 2) {
      skipped.push({ series: s.id, reason: `slices of ${s.rows}×${s.cols} pixels are not images` });
      continue;
    }
    if (s.slices < 2 * tMax + 1) {
      skipped.push({
        series: s.id,
        reason: `${s.slices} slices; t = ${tMax} needs at least 2t + 1 = ${2 * tMax + 1} (an anchor with a slice t before and t after it)`,
      });
      continue;
    }
    const measured = s.positions?.length === s.slices ? measurePositions(s.positions) : null;
    const own: Anchor[] = [];
    const left = measured ? new SkippedAnchorCount(s.id, measured) : null;
    for (let j = tMax; j + tMax < s.slices; j++) {
      const anchor = { series: s.id, index: j };
      const off = measured ? targetIndices(anchor, ts).find((k) => !atExpectedDistance(measured, j, k)) : undefined;
      if (off === undefined) own.push(anchor);
      else left?.add(irregularityBetween(measured as SlicePositions, j, off));
    }
    if (left?.count) skippedAnchors.push(left.report());
    if (own.length === 0) {
      skipped.push({
        series: s.id,
        reason: `no anchor has its targets t = ${ts.join(', ')} slice spacings away in the scan (${left?.report().where.join('; ')})`,
      });
      continue;
    }
    used.push(s.id);
    anchors.push(...own);
    if (measured) positions[s.id] = measured.positions;
    else withoutPositions.push(s.id);
  }
  return { anchors, skipped, skippedAnchors, withoutPositions, positions, used, ts: [...ts], lengths: lengthsOf(series, used) };
}

class SkippedAnchorCount {
  count = 0;
  private readonly byReason: Record<IrregularityReason, number> = { gap: 0, duplicate: 0, uneven: 0 };
  private readonly where = new Map<string, string>();

  constructor(
    private readonly series: string,
    private readonly measured: SlicePositions,
  ) {}

  add(x: ReturnType<typeof irregularityBetween>): void {
    this.count++;
    this.byReason[x.reason]++;
    const key = `${x.reason}@${x.after}`;
    if (!this.where.has(key)) this.where.set(key, describeIrregularity(x, Math.abs(this.measured.step)));
  }

  report(): SkippedAnchors {
    return {
      series: this.series,
      spacing: Math.abs(this.measured.step),
      byReason: { ...this.byReason },
      where: [...this.where.values()].slice(0, 5),
    };
  }
}

function lengthsOf(series: SliceSeries[], used: string[]): Record<string, number> {
  const wanted = new Set(used);
  return Object.fromEntries(series.filter((s) => wanted.has(s.id)).map((s) => [s.id, s.slices]));
}

/**
 * SSMTL+ (paper Sec. 3.3): the partner x_k of an anchor x_j is drawn from
 * k ∈ [j−2t, j−t−1] ∪ [j+t+1, j+2t], within the series — "moderately different" slices of
 * the same scan. With slice positions, only those that lie t+1 … 2t slice spacings from
 * x_j in the scan (within the tolerance). The candidates in order (left side first).
 */
export function partnerCandidates(j: number, t: number, slices: number, positions?: readonly number[] | null): number[] {
  const out: number[] = [];
  for (let k = j - 2 * t; k <= j - t - 1; k++) if (k >= 0) out.push(k);
  for (let k = j + t + 1; k <= j + 2 * t; k++) if (k < slices) out.push(k);
  const measured = positions?.length === slices ? measurePositions(positions) : null;
  if (!measured) return out;
  const spacing = Math.abs(measured.step);
  const slack = SPACING_TOLERANCE * spacing;
  return out.filter((k) => {
    const mm = Math.abs(measured.positions[k] - measured.positions[j]);
    return mm >= (t + 1) * spacing - slack && mm <= 2 * t * spacing + slack;
  });
}

/**
 * Anchors of SSMTL+: those of SSMTL that also have a partner for the similarity task (the
 * first t of T sets its range). A series of exactly 2t + 1 slices has none.
 */
export function planPairedAnchors(series: SliceSeries[], ts: number[]): AnchorPlan {
  const plan = planAnchors(series, ts);
  const lengths = plan.lengths ?? {};
  const t = ts[0];
  const anchors = plan.anchors.filter((a) => partnerCandidates(a.index, t, lengths[a.series], plan.positions?.[a.series]).length > 0);
  const kept = new Set(anchors.map((a) => a.series));
  const skipped = [...plan.skipped];
  for (const id of plan.used) {
    if (!kept.has(id))
      skipped.push({
        series: id,
        reason:
          lengths[id] < 2 * t + 2
            ? `${lengths[id]} slices; SSMTL+ with t = ${t} needs at least 2t + 2 = ${2 * t + 2} (a partner slice t+1 … 2t away)`
            : `no anchor has a partner slice t+1 … 2t slice spacings away in the scan (t = ${t})`,
      });
  }
  const used = plan.used.filter((id) => kept.has(id));
  return { ...plan, anchors, skipped, used, lengths: lengthsOf(series, used) };
}

/** The partner of an anchor in an epoch: seeded by (seed, epoch, anchor), so a resumed run draws the same. */
export function drawPartner(
  anchor: Anchor,
  t: number,
  slices: number,
  seed: number,
  epoch: number,
  positions?: readonly number[] | null,
): number {
  const candidates = partnerCandidates(anchor.index, t, slices, positions);
  if (candidates.length === 0) throw new Error(`slice ${anchor.index} of series ${anchor.series} has no partner at t = ${t}`);
  return candidates[Random.derive(seed, 'ssmtl+-partner', epoch, anchor.series, anchor.index).int(candidates.length)];
}

/** MoCo v2: every slice of every series is an instance. */
export function planSlices(series: SliceSeries[]): AnchorPlan {
  const anchors: Anchor[] = [];
  const skipped: SkippedSeries[] = [];
  const used: string[] = [];
  for (const s of [...series].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (s.rows < 2 || s.cols < 2 || s.slices < 1) {
      skipped.push({ series: s.id, reason: `slices of ${s.rows}×${s.cols} pixels are not images` });
      continue;
    }
    used.push(s.id);
    for (let j = 0; j < s.slices; j++) anchors.push({ series: s.id, index: j });
  }
  return { anchors, skipped, used, ts: [], lengths: lengthsOf(series, used) };
}

/** Target slice indices of an anchor, in head order. */
export function targetIndices(anchor: Anchor, ts: number[]): number[] {
  const out: number[] = [];
  for (const t of ts) out.push(anchor.index - t, anchor.index + t);
  return out;
}

/** Head names in head order, e.g. ["t5-", "t5+"]. */
export function headNames(ts: number[]): string[] {
  return ts.flatMap((t) => [`t${t}-`, `t${t}+`]);
}

/**
 * The anchors of one epoch, shuffled by a generator derived only from (seed, epoch): a run
 * resumed at any epoch or step sees exactly the order an uninterrupted run saw.
 */
export function epochOrder(plan: AnchorPlan, seed: number, epoch: number): Anchor[] {
  return Random.derive(seed, 'epoch', epoch).shuffle([...plan.anchors]);
}

/** Number of steps per epoch; the last batch may be smaller (every anchor is used once). */
export function stepsPerEpoch(anchorCount: number, batch: number): number {
  return Math.ceil(anchorCount / batch);
}
