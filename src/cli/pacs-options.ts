import { InputError } from '../shared/errors.ts';
import type { PacsAuth, PacsEntry } from '../shared/pacs.ts';
import { isValidEnvName, pacsEntryProblem } from '../shared/pacs.ts';
import { entryFromAddress, requirePacsEntry, secretFromEnvironment, type PacsSettings } from '../engine/node/pacs/pacs-entries.ts';
import type { PacsConnection } from '../engine/node/pacs/pacs-peer.ts';
import { Workspace } from '../engine/node/workspace/workspace.ts';
import type { CommandContext } from './command.ts';
import { optionalNumber, optionalString } from './options.ts';

/** The flags that say how to reach a PACS (CONTRACT.md `pacs`); secrets only by the name of an environment variable. */
export const PACS_CONNECTION_OPTIONS = {
  pacs: { type: 'string' },
  aet: { type: 'string' },
  user: { type: 'string' },
  'password-env': { type: 'string' },
  'token-env': { type: 'string' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
} as const;

export const PACS_CONNECTION_USAGE =
  '--pacs ADDRESS|NAME [--aet OURS] [--user U --password-env VAR | --token-env VAR] [--tls] [--ca FILE] [--timeout S] [--retries N]';

/** What the flags say besides the address; only the flags given (an entry's own values stay otherwise). */
export function settingsFromFlags(context: CommandContext): PacsSettings {
  const settings: PacsSettings = {};
  const aet = optionalString(context, 'aet');
  if (aet !== undefined) settings.callingAet = aet;
  if (context.values.tls === true) settings.tls = true;
  const ca = optionalString(context, 'ca');
  if (ca !== undefined) settings.caFile = ca;
  if (context.values.timeout !== undefined) settings.timeoutSeconds = optionalNumber(context, 'timeout', 0, { min: 1, max: 3600 });
  if (context.values.retries !== undefined) settings.retries = optionalNumber(context, 'retries', 0, { integer: true, min: 0, max: 10 });
  const auth = authFromFlags(context);
  if (auth) settings.auth = auth;
  return settings;
}

function authFromFlags(context: CommandContext): PacsAuth | null {
  const user = optionalString(context, 'user');
  const passwordEnv = optionalString(context, 'password-env');
  const tokenEnv = optionalString(context, 'token-env');
  for (const [flag, name] of [
    ['password-env', passwordEnv],
    ['token-env', tokenEnv],
  ] as const) {
    if (name !== undefined && !isValidEnvName(name)) {
      throw new InputError(
        `--${flag} takes the NAME of an environment variable holding the secret (e.g. PACS_PASSWORD), not the secret itself`,
      );
    }
  }
  if (tokenEnv !== undefined && (user !== undefined || passwordEnv !== undefined)) {
    throw new InputError('--token-env (bearer) and --user/--password-env (basic) exclude each other');
  }
  if (tokenEnv !== undefined) return { kind: 'bearer', tokenEnv };
  if (passwordEnv !== undefined && user === undefined) throw new InputError('--password-env needs --user');
  if (user !== undefined) return { kind: 'basic', user, passwordEnv: passwordEnv ?? null };
  return null;
}

/**
 * The PACS the flags name: an address (an entry made on the spot) or the name of an
 * entry of --workspace, which the other flags may override. The secret comes from the
 * environment variable the entry or the flags name.
 */
export function connectionFromFlags(context: CommandContext): PacsConnection {
  const address = optionalString(context, 'pacs');
  if (!address) throw new InputError('--pacs is required: a DICOMweb URL, dicom://AETITLE@host:port, or the name of a configured PACS');
  const settings = settingsFromFlags(context);
  let entry: PacsEntry;
  if (address.includes('://')) entry = entryFromAddress('command-line', address, settings);
  else {
    const workspaceDir = optionalString(context, 'workspace');
    if (!workspaceDir) throw new InputError(`--pacs ${address}: a configured PACS is looked up in --workspace DIR (or give its address)`);
    const workspace = Workspace.open(workspaceDir, { create: false });
    try {
      entry = requirePacsEntry(workspace, address);
    } finally {
      workspace.close();
    }
    entry = { ...entry, ...settings };
    const problem = pacsEntryProblem(entry);
    if (problem) throw new InputError(`--pacs ${address}: ${problem}`);
  }
  return { entry, secret: secretFromEnvironment(entry) };
}

/** Ctrl-C (or SIGTERM) cancels the transfer in flight, which then cleans up after itself. */
export async function cancellable<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
