/** Progress of long work, streamed by every job whatever its transport. */
export interface Progress {
  /** what is being done, e.g. "reading headers" */
  stage: string;
  done: number;
  total: number;
  /** the item in hand, e.g. a file name */
  detail?: string;
}

export type ProgressListener = (progress: Progress) => void;
