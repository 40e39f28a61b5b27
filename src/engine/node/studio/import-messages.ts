import type { Progress } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';

/** What the studio sends the import process, and what it answers (see import-child.ts). */
export interface ImportRequest {
  type: 'start';
  workspace: string;
  paths: string[];
  /** write the built-in sample into the workspace and import its scans */
  sample: boolean;
}

export type ImportMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; result: ImportResult }
  | { type: 'failed'; kind: 'input' | 'internal'; message: string };
