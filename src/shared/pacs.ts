/**
 * A PACS the user configured: the one peer the app may talk to over the network
 * (DESIGN.md "Data and safety"). Entries hold addresses and the *names* of where
 * secrets come from, never a secret itself: the CLI reads passwords and tokens from
 * environment variables, the desktop app from the OS keychain (Electron's safeStorage).
 */
export type PacsProtocol = 'dicomweb' | 'dimse';

export type PacsAuth =
  | { kind: 'none' }
  /** HTTP Basic (DICOMweb) or a username/passcode user identity (DIMSE) */
  | { kind: 'basic'; user: string; passwordEnv: string | null }
  /** an HTTP bearer token (DICOMweb) or a JWT user identity (DIMSE) */
  | { kind: 'bearer'; tokenEnv: string | null };

export interface PacsEntry {
  /** how the user calls it, e.g. "radiology"; unique in a workspace */
  name: string;
  protocol: PacsProtocol;
  /** DICOMweb: the service's base URL, e.g. https://pacs.example/dicom-web */
  url: string | null;
  /** DIMSE: the PACS's AE title, host and port */
  calledAet: string | null;
  host: string | null;
  port: number | null;
  /** DIMSE: our own AE title, as registered on the PACS */
  callingAet: string;
  /** DIMSE over TLS (DICOMweb: an https URL) */
  tls: boolean;
  /** a PEM file of the certificate authorities to trust besides the system's (a hospital CA); null: the system's only */
  caFile: string | null;
  auth: PacsAuth;
  /** a request, connection or association step that stays silent this long fails */
  timeoutSeconds: number;
  /** how often a failure that may pass (connection refused or reset, time-out, 502-504) is tried again */
  retries: number;
}

export const DEFAULT_CALLING_AET = 'SSMTL';
export const DEFAULT_PACS_TIMEOUT_SECONDS = 30;
export const DEFAULT_PACS_RETRIES = 2;

/** `pacs find`: every key optional; an empty query lists the studies the PACS answers with (up to `limit`). */
export interface PacsQuery {
  patientId?: string;
  /** YYYYMMDD or YYYYMMDD-YYYYMMDD */
  studyDate?: string;
  modality?: string;
  /** a substring of the study's or series' description, any case */
  description?: string;
  limit?: number;
}

export interface PacsSeriesHit {
  seriesUid: string;
  modality: string | null;
  description: string | null;
  instances: number | null;
}

export interface PacsStudyHit {
  studyUid: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  description: string | null;
  series: PacsSeriesHit[];
}

export interface PacsFindResult {
  studies: PacsStudyHit[];
}

export interface PacsEchoResult {
  ok: true;
  protocol: PacsProtocol;
  ms: number;
}

export interface PacsStoreResult {
  stored: { sopInstanceUid: string; seriesUid: string; studyUid: string };
  /** the copy of what was sent, inside the workspace's exports folder */
  file: string;
}

const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

/** AE titles are 1-16 characters of the default character set, no backslash, not all spaces (PS3.5 6.2). */
export function isValidAeTitle(title: string): boolean {
  return AE_TITLE.test(title) && title.trim().length > 0;
}

const STUDY_DATE = /^(\d{8})?(-(\d{8})?)?$/;

export function isValidStudyDate(value: string): boolean {
  return value.length > 0 && value !== '-' && STUDY_DATE.test(value);
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

export function isValidUid(value: string): boolean {
  return value.length <= 64 && UID.test(value);
}

const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** a host name, an IPv4 address, or an IPv6 address (without brackets) */
const HOST = /^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9.-]{1,253})$/;
const HTTP_URL = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/;

/**
 * What is wrong with an entry, in words naming the field (null: nothing). The engine
 * and the API validation both use it, so an entry is checked the same way whichever
 * way it came in.
 */
export function pacsEntryProblem(entry: PacsEntry): string | null {
  if (!ENTRY_NAME.test(entry.name)) return `PACS name '${entry.name}' must be 1-64 letters, digits, '.', '_' or '-'`;
  if (entry.protocol === 'dicomweb') {
    if (!entry.url || !HTTP_URL.test(entry.url)) {
      return `the DICOMweb address '${entry.url ?? ''}' must be an http(s) URL without credentials, e.g. https://pacs.example/dicom-web`;
    }
  } else if (entry.protocol === 'dimse') {
    if (!entry.calledAet || !isValidAeTitle(entry.calledAet))
      return `the PACS's AE title '${entry.calledAet ?? ''}' must be 1-16 characters`;
    if (!entry.host || !HOST.test(entry.host)) return `the host '${entry.host ?? ''}' is not a host name or IP address`;
    if (!Number.isInteger(entry.port) || (entry.port as number) < 1 || (entry.port as number) > 65535) {
      return `the port '${entry.port}' must be an integer in [1, 65535]`;
    }
  } else return `protocol must be dicomweb or dimse`;
  if (!isValidAeTitle(entry.callingAet)) return `our AE title '${entry.callingAet}' must be 1-16 characters, no backslash`;
  if (!Number.isFinite(entry.timeoutSeconds) || entry.timeoutSeconds < 1 || entry.timeoutSeconds > 3600) {
    return `the time-out must be 1-3600 seconds, got ${entry.timeoutSeconds}`;
  }
  if (!Number.isInteger(entry.retries) || entry.retries < 0 || entry.retries > 10)
    return `retries must be an integer in [0, 10], got ${entry.retries}`;
  const auth = entry.auth;
  if (auth.kind === 'basic') {
    if (!auth.user || auth.user.length > 256 || /[:\r\n]/.test(auth.user))
      return `the user name must be 1-256 characters without ':' or line breaks`;
    if (auth.passwordEnv !== null && !ENV_NAME.test(auth.passwordEnv)) return `'${auth.passwordEnv}' is not an environment variable name`;
  } else if (auth.kind === 'bearer') {
    if (auth.tokenEnv !== null && !ENV_NAME.test(auth.tokenEnv)) return `'${auth.tokenEnv}' is not an environment variable name`;
  } else if (auth.kind !== 'none') return 'auth must be none, basic or bearer';
  return null;
}

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}
