import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from 'dicomweb-client';
import type { PacsEntry } from '../../../shared/pacs.ts';
import { PacsCancelled, PacsError, networkError, timeoutError, withRetries } from './pacs-error.ts';
import type { PacsConnection, PacsPeer, RetrieveHooks, SeriesRecord, StoredObject, StudyKeys, StudyRecord } from './pacs-peer.ts';
import { PeerXhr } from './peer-xhr.ts';
import { readTrustedCa } from './trusted-ca.ts';

/**
 * A PACS over DICOMweb (PS3.18) through dicomweb-client: QIDO-RS to search, WADO-RS to
 * retrieve (one instance per request, four at a time, each tried again on its own when
 * the connection drops), STOW-RS to store. Requests go through PeerXhr, which confines
 * them to the configured base URL.
 */

/** The calls of dicomweb-client used here, typed (its own declarations say any[] where a promise comes back). */
interface DicomwebCalls {
  searchForStudies(options: { queryParams?: Record<string, string>; request: { instance: PeerXhr } }): Promise<DicomJson[]>;
  searchForSeries(options: {
    studyInstanceUID?: string;
    queryParams?: Record<string, string>;
    request: { instance: PeerXhr };
  }): Promise<DicomJson[]>;
  searchForInstances(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    queryParams?: Record<string, string>;
    request: { instance: PeerXhr };
  }): Promise<DicomJson[]>;
  retrieveInstance(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    request: { instance: PeerXhr };
  }): Promise<ArrayBuffer>;
  storeInstances(options: { studyInstanceUID: string; datasets: ArrayBuffer[]; request: { instance: PeerXhr } }): Promise<unknown>;
}

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

const PARALLEL_RETRIEVALS = 4;
/** QIDO-RS servers may cap a response; instances are listed page by page */
const INSTANCE_PAGE = 500;

export class DicomwebPeer implements PacsPeer {
  readonly protocol = 'dicomweb';
  readonly label: string;
  private readonly base: URL;
  private readonly client: DicomwebCalls;
  private readonly ca: string | null;

  constructor(private readonly connection: PacsConnection) {
    const { entry } = connection;
    if (!entry.url) throw new PacsError(`PACS '${entry.name}' has no DICOMweb URL`, false);
    this.base = new URL(entry.url.replace(/\/+$/, ''));
    this.label = `${this.base.origin}${this.base.pathname}`;
    this.ca = readTrustedCa(entry);
    const options = {
      url: this.label,
      headers: authorizationHeader(connection),
      // Its console output would include the request, headers and credentials.
      verbose: false,
    };
    this.client = new api.DICOMwebClient(options as ConstructorParameters<typeof api.DICOMwebClient>[0]) as unknown as DicomwebCalls;
  }

  async echo(signal?: AbortSignal): Promise<void> {
    await this.call('answering a search (QIDO-RS /studies?limit=1)', signal, (request) =>
      this.client.searchForStudies({ queryParams: { limit: '1' }, request }),
    );
  }

  async searchStudies(keys: StudyKeys, limit: number, signal?: AbortSignal): Promise<StudyRecord[]> {
    const queryParams: Record<string, string> = { limit: String(limit), includefield: '00081030' };
    if (keys.patientId) queryParams.PatientID = keys.patientId;
    if (keys.studyDate) queryParams.StudyDate = keys.studyDate;
    if (keys.modality) queryParams.ModalitiesInStudy = keys.modality;
    const found = await this.call('searching studies', signal, (request) => this.client.searchForStudies({ queryParams, request }));
    return (found ?? []).map((json) => ({
      studyUid: text(json, '0020000D') ?? '',
      patientId: text(json, '00100020'),
      patientName: personName(json, '00100010'),
      studyDate: text(json, '00080020'),
      description: text(json, '00081030'),
    }));
  }

  async searchSeries(studyUid: string | null, seriesUid: string | null, signal?: AbortSignal): Promise<SeriesRecord[]> {
    // Series description and instance count are among QIDO-RS's default series attributes.
    const queryParams: Record<string, string> = {};
    if (seriesUid) queryParams.SeriesInstanceUID = seriesUid;
    const found = await this.call('searching series', signal, (request) =>
      this.client.searchForSeries({ ...(studyUid ? { studyInstanceUID: studyUid } : {}), queryParams, request }),
    );
    return (found ?? []).map((json) => ({
      studyUid: text(json, '0020000D') ?? studyUid ?? '',
      seriesUid: text(json, '0020000E') ?? '',
      modality: text(json, '00080060'),
      description: text(json, '0008103E'),
      instances: number(json, '00201209'),
    }));
  }

  async retrieveSeries(target: SeriesRecord, folder: string, { signal, onInstance }: RetrieveHooks): Promise<number> {
    const uids = await this.listInstances(target, signal);
    if (uids.length === 0) throw new PacsError(`the PACS lists no instance of series ${target.seriesUid}`, false);
    let next = 0;
    let done = 0;
    // The first failure stops the requests still in flight, not only the ones to come.
    const stop = new AbortController();
    const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const worker = async () => {
      while (next < uids.length) {
        const sopInstanceUid = uids[next++];
        const bytes = await this.call(`sending image ${sopInstanceUid} of series ${target.seriesUid}`, stopped, (request) =>
          this.client.retrieveInstance({
            studyInstanceUID: target.studyUid,
            seriesInstanceUID: target.seriesUid,
            sopInstanceUID: sopInstanceUid,
            // No media types: dicomweb-client 0.11 refuses every explicit application/dicom one
            // (its common-type check compares 'application/' with 'application/dicom'). The
            // default asks for application/dicom, which a PACS sends as stored or as explicit VR
            // little endian (PS3.18 8.7.3.5.2): both are read by the importer.
            request,
          }),
        );
        if (!(bytes instanceof ArrayBuffer) || bytes.byteLength === 0) {
          throw new PacsError(`the PACS sent no DICOM object for image ${sopInstanceUid} of series ${target.seriesUid}`, false);
        }
        writeFileSync(join(folder, `${sopInstanceUid}.dcm`), new Uint8Array(bytes));
        onInstance?.(++done, uids.length);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_RETRIEVALS, uids.length) }, worker));
    } catch (error) {
      stop.abort();
      if (signal?.aborted) throw new PacsCancelled();
      if (error instanceof PacsError) throw new PacsError(`${error.message}; ${done} of ${uids.length} images had arrived`, false);
      throw error;
    }
    return done;
  }

  async store(file: string, object: StoredObject, signal?: AbortSignal): Promise<void> {
    const bytes = readFileSync(file);
    const body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const answer = await this.call(`storing ${object.sopInstanceUid} (STOW-RS)`, signal, (request) =>
      this.client.storeInstances({ studyInstanceUID: object.studyUid, datasets: [body], request }),
    );
    // The answer lists what was stored (ReferencedSOPSequence) and what was not (FailedSOPSequence).
    const json = parseJson(answer);
    if (sopsIn(json, '00081198').includes(object.sopInstanceUid)) {
      throw new PacsError(`the PACS refused to store ${object.sopInstanceUid} (STOW-RS FailedSOPSequence)`, false);
    }
    if (json && !sopsIn(json, '00081199').includes(object.sopInstanceUid)) {
      throw new PacsError(
        `the PACS did not confirm that it stored ${object.sopInstanceUid} (not in the STOW-RS ReferencedSOPSequence)`,
        false,
      );
    }
  }

  /** Every SOP Instance UID of the series, page by page. */
  private async listInstances(target: SeriesRecord, signal?: AbortSignal): Promise<string[]> {
    const uids: string[] = [];
    const seen = new Set<string>();
    for (let offset = 0; ; offset += INSTANCE_PAGE) {
      const page = await this.call(`listing the images of series ${target.seriesUid}`, signal, (request) =>
        this.client.searchForInstances({
          studyInstanceUID: target.studyUid,
          seriesInstanceUID: target.seriesUid,
          queryParams: { limit: String(INSTANCE_PAGE), offset: String(offset) },
          request,
        }),
      );
      let added = 0;
      for (const json of page ?? []) {
        const uid = text(json, '00080018');
        if (uid && !seen.has(uid)) {
          seen.add(uid);
          uids.push(uid);
          added++;
        }
      }
      // A short page ends the list; so does one with nothing new (a server that ignores offset).
      if ((page ?? []).length < INSTANCE_PAGE || added === 0) return uids;
    }
  }

  /** One request through PeerXhr, tried again while it fails transiently; failures in words. */
  private call<T>(doing: string, signal: AbortSignal | undefined, send: (request: { instance: PeerXhr }) => Promise<T>): Promise<T> {
    const { entry } = this.connection;
    return withRetries(
      entry.retries,
      async () => {
        if (signal?.aborted) throw new PacsCancelled();
        const instance = new PeerXhr({ base: this.base, timeoutMs: entry.timeoutSeconds * 1000, ca: this.ca, signal });
        try {
          return await send({ instance });
        } catch (error) {
          throw this.explain(instance, error, doing, entry);
        }
      },
      { signal },
    );
  }

  private explain(instance: PeerXhr, error: unknown, doing: string, entry: PacsEntry): Error {
    const failure = instance.failure;
    const peer = this.label;
    if (failure) {
      switch (failure.kind) {
        case 'aborted':
          return new PacsCancelled();
        case 'timeout':
          return timeoutError(peer, entry.timeoutSeconds, doing);
        case 'network':
          return networkError(peer, failure.code, failure.message, doing);
        case 'refused-address':
          return new PacsError(`refused to send to ${failure.url}: SSMTL Studio talks only to the configured PACS at ${peer}`, false);
        case 'redirect':
          return new PacsError(
            `the PACS at ${peer} redirected to ${failure.location}; SSMTL Studio follows no redirect (configure the final address)`,
            false,
          );
        case 'truncated':
          return new PacsError(
            `the PACS at ${peer} closed the connection while ${doing} after ${failure.received} bytes` +
              (failure.expected !== null ? ` of ${failure.expected}` : ''),
            true,
          );
      }
    }
    const status = instance.status;
    if (status === 401)
      return new PacsError(`the PACS at ${peer} refused the login (HTTP 401): check the user and password or token`, false);
    if (status === 403) return new PacsError(`the PACS at ${peer} refused access (HTTP 403) while ${doing}`, false);
    if (status === 404)
      return new PacsError(`the PACS at ${peer} has no such resource (HTTP 404) while ${doing}: is the URL its DICOMweb root?`, false);
    if (status >= 500 && status !== 501 && status !== 505) {
      return new PacsError(`the PACS at ${peer} failed while ${doing} (HTTP ${status})`, status >= 502 && status <= 504);
    }
    if (status > 0) return new PacsError(`the PACS at ${peer} answered HTTP ${status} while ${doing}`, false);
    return new PacsError(
      `the PACS at ${peer} could not be used while ${doing}: ${error instanceof Error ? error.message : String(error)}`,
      false,
    );
  }
}

function authorizationHeader({ entry, secret }: PacsConnection): Record<string, string> {
  if (entry.auth.kind === 'basic')
    return { Authorization: `Basic ${Buffer.from(`${entry.auth.user}:${secret ?? ''}`).toString('base64')}` };
  if (entry.auth.kind === 'bearer') return { Authorization: `Bearer ${secret ?? ''}` };
  return {};
}

function text(json: DicomJson, tag: string): string | null {
  const value = json[tag]?.Value?.[0];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

function number(json: DicomJson, tag: string): number | null {
  const value = json[tag]?.Value?.[0];
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : null;
}

function personName(json: DicomJson, tag: string): string | null {
  const value = json[tag]?.Value?.[0] as { Alphabetic?: string } | string | undefined;
  return typeof value === 'string' ? value : (value?.Alphabetic ?? null);
}

/** A STOW-RS answer in DICOM JSON, or null when the PACS sent none (or XML). */
function parseJson(answer: unknown): DicomJson | null {
  if (typeof answer === 'string') {
    try {
      return answer.trim().startsWith('{') ? (JSON.parse(answer) as DicomJson) : null;
    } catch {
      return null;
    }
  }
  return answer && typeof answer === 'object' && !(answer instanceof ArrayBuffer) ? (answer as DicomJson) : null;
}

/** The Referenced SOP Instance UIDs (00081155) of a sequence: 00081199 stored, 00081198 failed. */
function sopsIn(json: DicomJson | null, sequence: string): string[] {
  const items = (json?.[sequence]?.Value ?? []) as DicomJson[];
  return items.map((item) => text(item, '00081155')).filter((uid): uid is string => uid !== null);
}
