import { readFileSync } from 'node:fs';
import type { PacsEntry } from '../../../shared/pacs.ts';
import { PacsError } from './pacs-error.ts';

/** The extra certificate authorities (PEM) an entry trusts for TLS, e.g. the hospital's own CA. */
export function readTrustedCa(entry: PacsEntry): string | null {
  if (!entry.caFile) return null;
  try {
    return readFileSync(entry.caFile, 'utf8');
  } catch (error) {
    throw new PacsError(`--ca ${entry.caFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, false);
  }
}
