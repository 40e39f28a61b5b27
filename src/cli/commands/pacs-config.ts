import { InputError } from '../../shared/errors.ts';
import type { PacsEntry } from '../../shared/pacs.ts';
import { addressOf, entryFromAddress, listPacsEntries, removePacsEntry, savePacsEntry } from '../../engine/node/pacs/pacs-entries.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import type { Command } from '../command.ts';
import { requireString } from '../options.ts';
import { PACS_CONNECTION_OPTIONS, PACS_CONNECTION_USAGE, settingsFromFlags } from '../pacs-options.ts';

/** `ssmtl pacs add|list|remove`: named PACS entries in a workspace, without secrets. */

export const pacsAddCommand: Command = {
  name: 'pacs add',
  summary: 'Configure a named PACS in a workspace (address, AE titles, TLS, login by environment variable name; never a secret)',
  usage: `pacs add NAME ${PACS_CONNECTION_USAGE} --workspace DIR [--json]`,
  options: { ...PACS_CONNECTION_OPTIONS, workspace: { type: 'string' } },
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length !== 1) throw new InputError('give the PACS one name, e.g. `ssmtl pacs add radiology --pacs …`');
    const address = requireString(context, 'pacs');
    const entry = entryFromAddress(context.positionals[0], address, settingsFromFlags(context));
    const workspace = Workspace.open(requireString(context, 'workspace'), { create: true });
    try {
      const saved = savePacsEntry(workspace, entry);
      return { json: { pacs: saved }, text: `PACS '${saved.name}' saved: ${describeEntry(saved)}` };
    } finally {
      workspace.close();
    }
  },
};

export const pacsListCommand: Command = {
  name: 'pacs list',
  summary: 'The PACS configured in a workspace',
  usage: 'pacs list --workspace DIR [--json]',
  options: { workspace: { type: 'string' } },
  async run(context) {
    const workspace = Workspace.open(requireString(context, 'workspace'), { create: false });
    try {
      const entries = listPacsEntries(workspace);
      const text =
        entries.length === 0 ? 'no PACS configured (ssmtl pacs add)' : entries.map((e) => `${e.name}: ${describeEntry(e)}`).join('\n');
      return { json: { pacs: entries }, text };
    } finally {
      workspace.close();
    }
  },
};

export const pacsRemoveCommand: Command = {
  name: 'pacs remove',
  summary: 'Remove a configured PACS from a workspace',
  usage: 'pacs remove NAME --workspace DIR [--json]',
  options: { workspace: { type: 'string' } },
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length !== 1) throw new InputError('give the name of the PACS to remove');
    const name = context.positionals[0];
    const workspace = Workspace.open(requireString(context, 'workspace'), { create: false });
    try {
      if (!removePacsEntry(workspace, name)) throw new InputError(`no PACS '${name}' in ${workspace.dir}`);
      return { json: { removed: name }, text: `PACS '${name}' removed` };
    } finally {
      workspace.close();
    }
  },
};

function describeEntry(entry: PacsEntry): string {
  const auth =
    entry.auth.kind === 'basic'
      ? `user ${entry.auth.user}, password from ${entry.auth.passwordEnv ? `$${entry.auth.passwordEnv}` : 'the keychain'}`
      : entry.auth.kind === 'bearer'
        ? `bearer token from ${entry.auth.tokenEnv ? `$${entry.auth.tokenEnv}` : 'the keychain'}`
        : 'no login';
  const ours = entry.protocol === 'dimse' ? `, as ${entry.callingAet}` : '';
  return `${addressOf(entry)} (${entry.protocol}${entry.tls ? ', TLS' : ''}${ours}; ${auth}; time-out ${entry.timeoutSeconds} s, ${entry.retries} retries)`;
}
