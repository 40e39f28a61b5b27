/** Layout of the memory a fuzz worker shares with its parent: a few counters, then the current input's bytes. */
export const SLOT = { counter: 0, length_: 1, length: 4 } as const;
export const INPUT_OFFSET = 16;
/** Inputs longer than this are saved cut (the fuzzers' inputs are far smaller). */
export const MAX_SAVED_INPUT = 8 * 1024 * 1024;
