import type { PacsConnection, PacsPeer } from './pacs-peer.ts';

/** The peer for an entry's protocol; each client library is loaded only when its protocol is used. */
export async function openPeer(connection: PacsConnection): Promise<PacsPeer> {
  if (connection.entry.protocol === 'dicomweb') return new (await import('./dicomweb-peer.ts')).DicomwebPeer(connection);
  return new (await import('./dimse-peer.ts')).DimsePeer(connection);
}
