/**
 * Which slices the strip suggests annotating next, and why, in a clinician's words. The
 * choice follows a measurement, not a taste: `ssmtl experiment` compared random, evenly
 * spaced and uncertainty-picked slices at the same number of annotated slices, over seeds,
 * on the built-in sample (README, "Which slices to annotate"). With 'uncertainty' the
 * strip shows the newest prediction's least certain slices once the series has one.
 */
export type SuggestionStrategy = 'even' | 'uncertainty';

export const SLICE_SUGGESTION: { strategy: SuggestionStrategy; why: string } = {
  strategy: 'even',
  why:
    'Evenly spaced slices: on the built-in sample they trained a model as well as the slices it was least sure of ' +
    '(mean overlap 0.39 vs 0.36 over 2 runs; random picks 0.34), and they need no model first.',
};

/** The slices to suggest: `ranked` is the newest prediction's ranking (least certain first), if any. */
export function suggestedSlices(sliceCount: number, annotated: number[], ranked: number[] | undefined, count = 3): number[] {
  const open = (ranked ?? []).filter((k) => !annotated.includes(k));
  if (SLICE_SUGGESTION.strategy === 'uncertainty' && open.length > 0) return open.slice(0, count);
  return suggestSlices(sliceCount, annotated, count);
}

/**
 * Evenly spaced slices: greedy farthest-point picks, so a handful of labels spread over
 * the whole scan (the paper fine-tunes on 20-25 slices spread through each volume). Skips
 * the first and last few slices, where the anatomy of interest rarely is.
 */
export function suggestSlices(sliceCount: number, annotated: number[], count = 3): number[] {
  const margin = Math.min(Math.floor(sliceCount / 8), 8);
  const chosen = [...annotated];
  const picks: number[] = [];
  for (let n = 0; n < count; n++) {
    let best = -1;
    let bestDistance = -1;
    for (let k = margin; k < sliceCount - margin; k++) {
      const distance = chosen.length === 0 ? Math.abs(k - (sliceCount - 1) / 2) * -1 : Math.min(...chosen.map((c) => Math.abs(c - k)));
      if (distance > bestDistance) {
        best = k;
        bestDistance = distance;
      }
    }
    if (best < 0 || (chosen.length > 0 && bestDistance < 2)) break;
    chosen.push(best);
    picks.push(best);
  }
  return picks.sort((a, b) => a - b);
}
