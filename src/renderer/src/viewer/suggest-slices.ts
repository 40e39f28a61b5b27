/**
 * Which slices to annotate next when the engine has no ranking of its own: greedy
 * farthest-point picks, so a handful of labels spread over the whole scan (the paper
 * fine-tunes on 20-25 slices spread through each volume). Skips the first and last
 * few slices, where the anatomy of interest rarely is.
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
