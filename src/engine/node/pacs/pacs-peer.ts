import type { PacsEntry, PacsProtocol } from '../../../shared/pacs.ts';

/**
 * What the app does with a PACS, whatever the protocol (dicomweb-peer.ts: QIDO-RS,
 * WADO-RS, STOW-RS; dimse-peer.ts: C-ECHO, C-FIND, C-GET, C-STORE). Every method fails
 * with a PacsError in words, honours the entry's time-out, and stops when `signal` fires.
 */
export interface PacsPeer {
  readonly protocol: PacsProtocol;
  /** the address as a person reads it, never with a credential */
  readonly label: string;
  echo(signal?: AbortSignal): Promise<void>;
  /** study-level matches of the keys the PACS understands (patient, date range, modality in study) */
  searchStudies(keys: StudyKeys, limit: number, signal?: AbortSignal): Promise<StudyRecord[]>;
  /** the series of a study, or the one series with `seriesUid` wherever it is (`studyUid` null) */
  searchSeries(studyUid: string | null, seriesUid: string | null, signal?: AbortSignal): Promise<SeriesRecord[]>;
  /**
   * Writes every instance of a series as a Part 10 file (named by its SOP Instance UID)
   * into `folder`, and returns how many. Fails unless every instance the PACS has for
   * the series arrived whole.
   */
  retrieveSeries(target: SeriesRecord, folder: string, hooks: RetrieveHooks): Promise<number>;
  /** Sends one Part 10 file; fails unless the PACS confirms it stored it. */
  store(file: string, object: StoredObject, signal?: AbortSignal): Promise<void>;
}

export interface StudyKeys {
  patientId?: string;
  studyDate?: string;
  modality?: string;
}

export interface StudyRecord {
  studyUid: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  description: string | null;
}

export interface SeriesRecord {
  studyUid: string;
  seriesUid: string;
  modality: string | null;
  description: string | null;
  instances: number | null;
}

export interface RetrieveHooks {
  signal?: AbortSignal;
  /** after each instance written; `total` as the PACS announced it (null when it did not) */
  onInstance?: (done: number, total: number | null) => void;
}

export interface StoredObject {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  studyUid: string;
  transferSyntaxUid: string;
}

/** An entry with its secret, resolved by the caller (environment variable or OS keychain). */
export interface PacsConnection {
  entry: PacsEntry;
  /** the password (basic) or token (bearer); null without auth */
  secret: string | null;
}
