import type { Random } from '../random.ts';

/**
 * Which labelled slices of a training scan an annotator would label (paper Sec. 4.2:
 * "we randomly sampled 20 annotated slices from each scan"): `random` draws them (seeded),
 * `even` spaces them evenly through the labelled range; `uncertainty` (active learning)
 * starts from the random half and adds the slices a first model is least sure of — that
 * needs a model, so the experiment runner does it with `mostUncertain`. Sorted ascending.
 */
export function selectSlices(labelled: number[], count: number, strategy: 'random' | 'even', random: Random): number[] {
  if (count >= labelled.length) return [...labelled];
  if (strategy === 'random')
    return random
      .shuffle([...labelled])
      .slice(0, count)
      .sort((a, b) => a - b);
  // Evenly: the centre of each of `count` equal parts of the labelled slices.
  return Array.from({ length: count }, (_, i) => labelled[Math.floor(((i + 0.5) * labelled.length) / count)]);
}

/** The `count` slices with the highest uncertainty (ties: the lower index), among `candidates`. */
export function mostUncertain(candidates: number[], uncertainty: Map<number, number>, count: number): number[] {
  return [...candidates]
    .sort((a, b) => (uncertainty.get(b) ?? 0) - (uncertainty.get(a) ?? 0) || a - b)
    .slice(0, count)
    .sort((a, b) => a - b);
}
