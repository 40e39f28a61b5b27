import type { PacsStatus } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import type { PacsEchoResult, PacsEntry, PacsFindResult, PacsQuery, PacsStoreResult } from '../../../shared/pacs.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { findStudies } from './find-studies.ts';
import { openPeer } from './open-peer.ts';
import { listPacsEntries, removePacsEntry, requirePacsEntry, savePacsEntry, secretFromEnvironment } from './pacs-entries.ts';
import type { PacsConnection } from './pacs-peer.ts';
import { storeSegmentation } from './store-segmentation.ts';

/**
 * The interface's PACS (Library's PACS source, Export's "store to PACS"): the workspace's
 * entries, and their secrets held in this process's memory only. A secret arrives from
 * Electron's main process (which keeps it in the OS keychain) or, under serve, from the
 * page for this session; an entry may also name an environment variable, as on the CLI.
 * Retrieval runs as an import job in a child process (pacs-get-child.ts); echo, find and
 * store are short exchanges answered here.
 */
export class PacsService {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly workspace: () => Workspace) {}

  list(): PacsStatus[] {
    return listPacsEntries(this.workspace()).map((entry) => this.status(entry));
  }

  save(entry: PacsEntry, secret: string | null): PacsStatus {
    const saved = savePacsEntry(this.workspace(), entry);
    if (saved.auth.kind === 'none') this.secrets.delete(saved.name);
    else if (secret !== null) this.secrets.set(saved.name, secret);
    return this.status(saved);
  }

  remove(name: string): void {
    if (!removePacsEntry(this.workspace(), name)) throw new InputError(`no PACS '${name}' is configured`);
    this.secrets.delete(name);
  }

  unlock(name: string, secret: string): PacsStatus {
    const entry = requirePacsEntry(this.workspace(), name);
    this.secrets.set(name, secret);
    return this.status(entry);
  }

  async echo(name: string): Promise<PacsEchoResult> {
    const peer = await openPeer(this.connection(name));
    const t0 = performance.now();
    await peer.echo();
    return { ok: true, protocol: peer.protocol, ms: Math.round(performance.now() - t0) };
  }

  async find(name: string, query: PacsQuery): Promise<PacsFindResult> {
    return findStudies(await openPeer(this.connection(name)), query);
  }

  async store(name: string, seriesId: string, model: string): Promise<PacsStoreResult> {
    const workspace = this.workspace();
    return storeSegmentation(workspace.dir, await openPeer(this.connection(name)), { model, seriesId });
  }

  /** An entry with its secret, for a retrieval or any exchange; says what to do when the secret is missing. */
  connection(name: string): PacsConnection {
    const entry = requirePacsEntry(this.workspace(), name);
    if (entry.auth.kind === 'none') return { entry, secret: null };
    const held = this.secrets.get(name);
    if (held !== undefined) return { entry, secret: held };
    if (this.environmentSecret(entry) === null) {
      throw new InputError(`PACS '${name}' needs its ${entry.auth.kind === 'basic' ? 'password' : 'token'}: enter it in the PACS settings`);
    }
    return { entry, secret: secretFromEnvironment(entry) };
  }

  private status(entry: PacsEntry): PacsStatus {
    if (entry.auth.kind === 'none') return { entry, secret: 'not-needed' };
    if (this.secrets.has(entry.name)) return { entry, secret: 'held' };
    return { entry, secret: this.environmentSecret(entry) !== null ? 'environment' : 'missing' };
  }

  private environmentSecret(entry: PacsEntry): string | null {
    try {
      return secretFromEnvironment(entry);
    } catch {
      return null;
    }
  }
}
