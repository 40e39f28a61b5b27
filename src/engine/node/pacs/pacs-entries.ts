import { InputError } from '../../../shared/errors.ts';
import {
  DEFAULT_CALLING_AET,
  DEFAULT_PACS_RETRIES,
  DEFAULT_PACS_TIMEOUT_SECONDS,
  pacsEntryProblem,
  type PacsAuth,
  type PacsEntry,
} from '../../../shared/pacs.ts';
import type { Workspace } from '../workspace/workspace.ts';

/**
 * Named PACS entries in the workspace catalogue (schema migration 3), and entries made
 * on the spot from an address on the command line. Neither ever holds a secret.
 */

/** What the command line or the interface says about a PACS besides its address. */
export interface PacsSettings {
  callingAet?: string;
  tls?: boolean;
  caFile?: string | null;
  auth?: PacsAuth;
  timeoutSeconds?: number;
  retries?: number;
}

/**
 * An entry from an address: a DICOMweb base URL (`http(s)://host/dicom-web`) or a DIMSE
 * peer (`dicom://AETITLE@host:port`).
 */
export function entryFromAddress(name: string, address: string, settings: PacsSettings = {}): PacsEntry {
  const common = {
    name,
    callingAet: settings.callingAet ?? DEFAULT_CALLING_AET,
    caFile: settings.caFile ?? null,
    auth: settings.auth ?? { kind: 'none' as const },
    timeoutSeconds: settings.timeoutSeconds ?? DEFAULT_PACS_TIMEOUT_SECONDS,
    retries: settings.retries ?? DEFAULT_PACS_RETRIES,
  };
  let entry: PacsEntry;
  if (/^https?:\/\//i.test(address)) {
    const url = parseUrl(address);
    if (url.username || url.password) {
      throw new InputError(`--pacs ${url.origin}…: put no user or password in the address; use --user with --password-env VAR`);
    }
    if (url.search || url.hash) throw new InputError(`--pacs ${address}: the DICOMweb base URL takes no query or fragment`);
    const https = url.protocol === 'https:';
    if (settings.tls === true && !https) throw new InputError(`--tls: the DICOMweb address ${address} is http://; use https://`);
    entry = {
      ...common,
      protocol: 'dicomweb',
      url: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
      calledAet: null,
      host: null,
      port: null,
      tls: https,
    };
  } else if (/^dicom:\/\//i.test(address)) {
    const url = parseUrl(address);
    const calledAet = decodeURIComponent(url.username);
    if (!calledAet) throw new InputError(`--pacs ${address}: name the PACS's AE title, as in dicom://AETITLE@host:port`);
    if (url.password) throw new InputError(`--pacs ${address}: put no password in the address; use --user with --password-env VAR`);
    if (!url.port) throw new InputError(`--pacs ${address}: give the port, as in dicom://${calledAet}@${url.hostname}:104`);
    entry = {
      ...common,
      protocol: 'dimse',
      url: null,
      calledAet,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port),
      tls: settings.tls ?? false,
    };
  } else {
    throw new InputError(`--pacs ${address}: expected a DICOMweb URL (https://host/dicom-web) or dicom://AETITLE@host:port`);
  }
  const problem = pacsEntryProblem(entry);
  if (problem) throw new InputError(`--pacs: ${problem}`);
  return entry;
}

/** The address as a person types it back (no credentials: entries have none). */
export function addressOf(entry: PacsEntry): string {
  return entry.protocol === 'dicomweb' ? (entry.url ?? '') : `dicom://${entry.calledAet}@${entry.host}:${entry.port}`;
}

function parseUrl(address: string): URL {
  try {
    return new URL(address);
  } catch {
    throw new InputError(`--pacs ${address}: not a valid address`);
  }
}

export function listPacsEntries(workspace: Workspace): PacsEntry[] {
  const rows = workspace.db.prepare('SELECT entry FROM pacs_entries ORDER BY name').all() as { entry: string }[];
  return rows.map((row) => JSON.parse(row.entry) as PacsEntry);
}

export function requirePacsEntry(workspace: Workspace, name: string): PacsEntry {
  const row = workspace.db.prepare('SELECT entry FROM pacs_entries WHERE name = ?').get(name) as { entry: string } | undefined;
  if (!row) {
    const known = listPacsEntries(workspace).map((e) => e.name);
    throw new InputError(
      `--pacs ${name}: no PACS of that name in ${workspace.dir} (${known.length ? `it has: ${known.join(', ')}` : 'none is configured: ssmtl pacs add'})`,
    );
  }
  return JSON.parse(row.entry) as PacsEntry;
}

/** Adds or replaces an entry. Only the fields of PacsEntry are kept, so nothing else (a secret) can slip in. */
export function savePacsEntry(workspace: Workspace, entry: PacsEntry): PacsEntry {
  const problem = pacsEntryProblem(entry);
  if (problem) throw new InputError(problem);
  const auth: PacsAuth =
    entry.auth.kind === 'basic'
      ? { kind: 'basic', user: entry.auth.user, passwordEnv: entry.auth.passwordEnv }
      : entry.auth.kind === 'bearer'
        ? { kind: 'bearer', tokenEnv: entry.auth.tokenEnv }
        : { kind: 'none' };
  const clean: PacsEntry = {
    name: entry.name,
    protocol: entry.protocol,
    url: entry.url,
    calledAet: entry.calledAet,
    host: entry.host,
    port: entry.port,
    callingAet: entry.callingAet,
    tls: entry.tls,
    caFile: entry.caFile,
    auth,
    timeoutSeconds: entry.timeoutSeconds,
    retries: entry.retries,
  };
  workspace.db
    .prepare(
      `INSERT INTO pacs_entries (name, entry, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET entry = excluded.entry, updated_at = excluded.updated_at`,
    )
    .run(clean.name, JSON.stringify(clean), new Date().toISOString());
  return clean;
}

export function removePacsEntry(workspace: Workspace, name: string): boolean {
  return workspace.db.prepare('DELETE FROM pacs_entries WHERE name = ?').run(name).changes > 0;
}

/**
 * The password or token of an entry, from the environment variable it names. The
 * value is returned to the caller only; no message ever includes it.
 */
export function secretFromEnvironment(entry: PacsEntry, env: NodeJS.ProcessEnv = process.env): string | null {
  const auth = entry.auth;
  if (auth.kind === 'none') return null;
  const variable = auth.kind === 'basic' ? auth.passwordEnv : auth.tokenEnv;
  const flag = auth.kind === 'basic' ? '--password-env' : '--token-env';
  if (!variable) {
    throw new InputError(
      `PACS '${entry.name}' has no environment variable for its ${auth.kind === 'basic' ? 'password' : 'token'}: give ${flag} VAR (the desktop app keeps it in the OS keychain)`,
    );
  }
  const value = env[variable];
  if (value === undefined || value === '') throw new InputError(`${flag} ${variable}: the environment variable is not set (or empty)`);
  return value;
}
