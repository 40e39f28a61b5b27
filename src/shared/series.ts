/** The shapes of CONTRACT.md's `scan`, `import` and `info` answers: one definition for every transport. */

export type SeriesFormat = 'dicom' | 'nifti';

/** [column spacing mm, row spacing mm, slice spacing mm] */
export type Spacing = [number, number, number];

export interface ScannedSeries {
  /** SeriesInstanceUID (with a `-partN` suffix when a series had to be split), or the NIfTI file's path. */
  id: string;
  format: SeriesFormat;
  modality: string | null;
  description: string | null;
  patientId: string | null;
  slices: number;
  rows: number;
  cols: number;
  spacing: Spacing;
  /** DICOM: in slice order (a multi-frame file appears once). */
  files: string[];
  warnings: string[];
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanResult {
  series: ScannedSeries[];
  skipped: SkippedFile[];
}

export interface ImportedSeries {
  id: string;
  slices: number;
  rows: number;
  cols: number;
}

export interface ImportResult {
  imported: ImportedSeries[];
  skipped: SkippedFile[];
}

export interface SliceStats {
  index: number;
  /** mm along the slice normal */
  position: number;
  mean: number;
  min: number;
  max: number;
}

export interface SeriesInfo {
  id: string;
  format: SeriesFormat;
  modality: string | null;
  description: string | null;
  /** an addition to CONTRACT.md's fields: descriptions repeat across patients */
  patientId: string | null;
  slices: number;
  rows: number;
  cols: number;
  spacing: Spacing;
  annotatedSlices: number[];
  stats?: SliceStats[];
}

/** A direction or a point in the patient's space: DICOM LPS (x to the patient's left, y posterior, z superior), mm. */
export type PatientVector = [number, number, number];

/** Where a series' slices lie in the patient, for orientation markers, slice positions and reformatted views. */
export interface SeriesPlane {
  /** unit vectors along increasing column index and increasing row index */
  rowDirection: PatientVector;
  columnDirection: PatientVector;
  normal: PatientVector;
  /** mm along `normal` of each slice, in slice order */
  positions: number[];
  /** the first voxel of each slice, when known */
  origins: (PatientVector | null)[];
}

export type ModelKind = 'pretrained' | 'segmentation';

export interface ModelInfo {
  name: string;
  kind: ModelKind;
  method: string;
  createdAt: string;
}

export interface WorkspaceInfo {
  series: SeriesInfo[];
  models: ModelInfo[];
  /** leftovers of interrupted work (killed imports, saves, trainings) removed as the workspace opened */
  swept: { files: number; bytes: number };
  /** why the workspace cannot be written, when it cannot: it was read as it is, nothing swept */
  readOnly: string | null;
}
