import { Random } from '../random.ts';
import type { SliceSeries } from './slice-source.ts';

/**
 * The SSMTL sampler (paper Sec. 3.2, Fig. 5): an anchor x_j is usable only where both
 * x_{j−t} and x_{j+t} exist in the same series, for every t in T. Several t give
 * 2·|T| targets per anchor, ordered [x_{j−t1}, x_{j+t1}, x_{j−t2}, x_{j+t2}, …].
 */
export interface Anchor {
  series: string;
  index: number;
}

export interface SkippedSeries {
  series: string;
  reason: string;
}

export interface AnchorPlan {
  anchors: Anchor[];
  skipped: SkippedSeries[];
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
    used.push(s.id);
    for (let j = tMax; j + tMax < s.slices; j++) anchors.push({ series: s.id, index: j });
  }
  return { anchors, skipped, used, ts: [...ts], lengths: lengthsOf(series, used) };
}

function lengthsOf(series: SliceSeries[], used: string[]): Record<string, number> {
  const wanted = new Set(used);
  return Object.fromEntries(series.filter((s) => wanted.has(s.id)).map((s) => [s.id, s.slices]));
}

/**
 * SSMTL+ (paper Sec. 3.3): the partner x_k of an anchor x_j is drawn from
 * k ∈ [j−2t, j−t−1] ∪ [j+t+1, j+2t], within the series — "moderately different" slices of
 * the same scan. The candidates in order (left side first).
 */
export function partnerCandidates(j: number, t: number, slices: number): number[] {
  const out: number[] = [];
  for (let k = j - 2 * t; k <= j - t - 1; k++) if (k >= 0) out.push(k);
  for (let k = j + t + 1; k <= j + 2 * t; k++) if (k < slices) out.push(k);
  return out;
}

/**
 * Anchors of SSMTL+: those of SSMTL that also have a partner for the similarity task (the
 * first t of T sets its range). A series of exactly 2t + 1 slices has none.
 */
export function planPairedAnchors(series: SliceSeries[], ts: number[]): AnchorPlan {
  const plan = planAnchors(series, ts);
  const lengths = plan.lengths ?? {};
  const t = ts[0];
  const anchors = plan.anchors.filter((a) => partnerCandidates(a.index, t, lengths[a.series]).length > 0);
  const kept = new Set(anchors.map((a) => a.series));
  const skipped = [...plan.skipped];
  for (const id of plan.used) {
    if (!kept.has(id))
      skipped.push({
        series: id,
        reason: `${lengths[id]} slices; SSMTL+ with t = ${t} needs at least 2t + 2 = ${2 * t + 2} (a partner slice t+1 … 2t away)`,
      });
  }
  const used = plan.used.filter((id) => kept.has(id));
  return { ...plan, anchors, skipped, used, lengths: lengthsOf(series, used) };
}

/** The partner of an anchor in an epoch: seeded by (seed, epoch, anchor), so a resumed run draws the same. */
export function drawPartner(anchor: Anchor, t: number, slices: number, seed: number, epoch: number): number {
  const candidates = partnerCandidates(anchor.index, t, slices);
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
