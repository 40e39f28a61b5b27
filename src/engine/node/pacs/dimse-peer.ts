import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import dcmjsDimse from 'dcmjs-dimse';
import type { Dataset, association, requests, responses } from 'dcmjs-dimse';
import { PacsCancelled, PacsError, networkError, timeoutError, withRetries } from './pacs-error.ts';
import type { PacsConnection, PacsPeer, RetrieveHooks, SeriesRecord, StoredObject, StudyKeys, StudyRecord } from './pacs-peer.ts';
import { readTrustedCa } from './trusted-ca.ts';

/**
 * A PACS over DIMSE (PS3.7) through dcmjs-dimse: C-ECHO, C-FIND (study root), C-GET
 * (the images come back on the same association, so no port of ours has to be open to
 * the PACS) and C-STORE. One association per operation; a transfer that breaks off is
 * tried again whole.
 */
const { Client, log } = dcmjsDimse;
const { CEchoRequest, CFindRequest, CGetRequest, CStoreRequest } = dcmjsDimse.requests;
const { CStoreResponse } = dcmjsDimse.responses;
const { Status, UserIdentityType, RejectReason, PresentationContextResult } = dcmjsDimse.constants;

// Its log would carry command sets, datasets and the user identity.
log.setLevel('silent');

type Response = responses.Response;
type Association = association.Association;

const PENDING = new Set([0xff00, 0xff01]);
const CANCELLED = 0xfe00;

const REJECT_WORDS: Record<number, string> = {
  [RejectReason.CallingAeNotRecognized]: 'our AE title is not known to it (register it on the PACS, or set --aet)',
  [RejectReason.CalledAeNotRecognized]: 'its AE title is not the one in the address',
  [RejectReason.NoReasonGiven]: 'no reason given (our AE title or login may not be allowed)',
};

export class DimsePeer implements PacsPeer {
  readonly protocol = 'dimse';
  readonly label: string;

  constructor(private readonly connection: PacsConnection) {
    const { entry } = connection;
    if (!entry.calledAet || !entry.host || !entry.port) throw new PacsError(`PACS '${entry.name}' needs an AE title, host and port`, false);
    this.label = `${entry.calledAet}@${entry.host}:${entry.port}`;
  }

  async echo(signal?: AbortSignal): Promise<void> {
    const status = await withRetries(
      this.connection.entry.retries,
      async () => {
        const request = new CEchoRequest();
        let answered: number | null = null;
        request.on('response', (response: Response) => {
          answered = response.getStatus();
        });
        await this.exchange('answering C-ECHO', [request], signal);
        return answered as number | null;
      },
      { signal },
    );
    if (status !== Status.Success) throw new PacsError(`the PACS at ${this.label} answered C-ECHO with status ${hex(status)}`, false);
  }

  async searchStudies(keys: StudyKeys, limit: number, signal?: AbortSignal): Promise<StudyRecord[]> {
    const keysOfStudy = {
      PatientID: keys.patientId ?? '',
      PatientName: '',
      StudyDate: keys.studyDate ?? '',
      StudyDescription: '',
      ModalitiesInStudy: keys.modality ?? '',
      StudyInstanceUID: '',
    };
    const found = await this.find('searching studies (C-FIND)', () => CFindRequest.createStudyFindRequest(keysOfStudy), limit, signal);
    return found.map((e) => ({
      studyUid: str(e.StudyInstanceUID) ?? '',
      patientId: str(e.PatientID),
      patientName: personName(e.PatientName),
      studyDate: str(e.StudyDate),
      description: str(e.StudyDescription),
    }));
  }

  async searchSeries(studyUid: string | null, seriesUid: string | null, signal?: AbortSignal): Promise<SeriesRecord[]> {
    const keysOfSeries = {
      StudyInstanceUID: studyUid ?? '',
      SeriesInstanceUID: seriesUid ?? '',
      Modality: '',
      SeriesDescription: '',
      NumberOfSeriesRelatedInstances: '',
    };
    const found = await this.find('searching series (C-FIND)', () => CFindRequest.createSeriesFindRequest(keysOfSeries), Infinity, signal);
    return found.map((e) => ({
      studyUid: str(e.StudyInstanceUID) ?? studyUid ?? '',
      seriesUid: str(e.SeriesInstanceUID) ?? '',
      modality: str(e.Modality),
      description: str(e.SeriesDescription),
      instances: num(e.NumberOfSeriesRelatedInstances),
    }));
  }

  async retrieveSeries(target: SeriesRecord, folder: string, { signal, onInstance }: RetrieveHooks): Promise<number> {
    return withRetries(
      this.connection.entry.retries,
      async () => {
        const request = CGetRequest.createSeriesGetRequest(target.studyUid, target.seriesUid);
        const outcome: { final: { status: number; failures: number; comment: string } | null } = { final: null };
        request.on('response', (response: Response & { getFailures(): number }) => {
          const status = response.getStatus();
          if (!PENDING.has(status)) {
            outcome.final = { status, failures: response.getFailures(), comment: response.getErrorComment?.() ?? '' };
          }
        });
        const writes: Promise<void>[] = [];
        let received = 0;
        const failedWrites: string[] = [];
        await this.exchange(`sending series ${target.seriesUid} (C-GET)`, [request], signal, (client) => {
          client.on(
            'cStoreRequest',
            (store: requests.CStoreRequest & { getDataset(): Dataset | undefined }, callback: (response: Response) => void) => {
              const response = CStoreResponse.fromRequest(store);
              const dataset = store.getDataset();
              const sop = store.getAffectedSopInstanceUid();
              if (!dataset || !/^[0-9.]+$/.test(sop)) {
                response.setStatus(0xc000);
                callback(response);
                return;
              }
              writes.push(
                writeDataset(dataset, join(folder, `${sop}.dcm`)).then(
                  () => onInstance?.(++received, target.instances),
                  () => void failedWrites.push(sop),
                ),
              );
              response.setStatus(Status.Success);
              callback(response);
            },
          );
        });
        await Promise.all(writes);
        const final = outcome.final;
        if (!final) {
          throw new PacsError(
            `the PACS at ${this.label} closed the connection before series ${target.seriesUid} was complete ` +
              `(${readdirSync(folder).length} of ${target.instances ?? '?'} images had arrived)`,
            true,
          );
        }
        if (final.status === CANCELLED) throw new PacsCancelled();
        if (failedWrites.length > 0)
          throw new PacsError(`${failedWrites.length} images of series ${target.seriesUid} could not be written`, false);
        if (final.failures > 0 || (final.status !== Status.Success && final.status !== 0xb000)) {
          throw new PacsError(
            `the PACS at ${this.label} could not send ${final.failures} of the images of series ${target.seriesUid}` +
              ` (C-GET status ${hex(final.status)}${final.comment ? `: ${final.comment}` : ''})`,
            false,
          );
        }
        if (received === 0) throw new PacsError(`the PACS at ${this.label} sent no image of series ${target.seriesUid}`, false);
        return received;
      },
      { signal },
    );
  }

  async store(file: string, object: StoredObject, signal?: AbortSignal): Promise<void> {
    let comment = '';
    const answered = await withRetries(
      this.connection.entry.retries,
      async () => {
        const request = new CStoreRequest(file);
        let status: number | null = null;
        request.on('response', (response: Response) => {
          status = response.getStatus();
          comment = response.getErrorComment?.() ?? '';
        });
        await this.exchange(`storing ${object.sopInstanceUid} (C-STORE)`, [request], signal);
        return status as number | null;
      },
      { signal },
    );
    // 0xB000-0xB007 are warnings: stored, with a coercion or an element discarded.
    if (answered === null || (answered !== Status.Success && (answered & 0xf000) !== 0xb000)) {
      throw new PacsError(
        `the PACS at ${this.label} did not store ${object.sopInstanceUid} (C-STORE status ${hex(answered)}${comment ? `: ${comment}` : ''})`,
        false,
      );
    }
  }

  /** A C-FIND's pending answers, at most `limit` (the rest cancelled by releasing the association). */
  private async find(doing: string, makeRequest: () => InstanceType<typeof CFindRequest>, limit: number, signal?: AbortSignal) {
    return withRetries(
      this.connection.entry.retries,
      async () => {
        const request = makeRequest();
        const found: Record<string, unknown>[] = [];
        let failure: { status: number; comment: string } | null = null;
        request.on('response', (response: Response & { hasDataset(): boolean; getDataset(): Dataset | undefined }) => {
          const status = response.getStatus();
          if (PENDING.has(status) && response.hasDataset() && found.length < limit) found.push(response.getDataset()?.getElements() ?? {});
          else if (!PENDING.has(status) && status !== Status.Success && status !== CANCELLED) {
            failure = { status, comment: response.getErrorComment?.() ?? '' };
          }
        });
        await this.exchange(doing, [request], signal);
        const refused = failure as { status: number; comment: string } | null;
        if (refused) {
          throw new PacsError(
            `the PACS at ${this.label} refused ${doing}: status ${hex(refused.status)}${refused.comment ? ` (${refused.comment})` : ''}`,
            false,
          );
        }
        return found;
      },
      { signal },
    );
  }

  /**
   * One association: connect, negotiate, run `requests`, release. Resolves when the
   * association closed after its requests; rejects with the reason in words.
   */
  private exchange(
    doing: string,
    requests: InstanceType<typeof CEchoRequest | typeof CFindRequest | typeof CGetRequest | typeof CStoreRequest>[],
    signal: AbortSignal | undefined,
    prepare?: (client: InstanceType<typeof Client>) => void,
  ): Promise<void> {
    const { entry, secret } = this.connection;
    if (signal?.aborted) return Promise.reject(new PacsCancelled());
    return new Promise((resolve, reject) => {
      const client = new Client();
      let settled = false;
      const network = () => (client as unknown as { network?: EventEmitter & { socket?: Socket } }).network;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        // On failure nothing more is expected: close the socket now rather than at its time-out.
        if (error) network()?.socket?.destroy();
        if (error) reject(error);
        else resolve();
      };
      const onAbort = () => {
        try {
          client.abort();
        } catch {
          // not connected yet: there is no association to abort
        }
        finish(new PacsCancelled());
      };
      signal?.addEventListener('abort', onAbort);
      for (const request of requests) client.addRequest(request);
      prepare?.(client);
      // A PACS may accept the association yet refuse the service to an AE title it does not know.
      client.on('associationAccepted', (association: Association) => {
        const refused = requests.find((request) => !accepts(association, request.getAffectedSopClassUid()));
        if (refused) {
          finish(
            new PacsError(
              `the PACS at ${this.label} refused ${doing.replace(/^\w+ /, '')} to our AE title ${entry.callingAet}: register it on the PACS, or set --aet`,
              false,
            ),
          );
        }
      });
      // dcmjs-dimse's client does not pass on an A-ABORT from the PACS (Orthanc answers a
      // request from an AE title it does not know with one); its network object does.
      client.on('connected', () => {
        network()?.on('abort', ({ source, reason }: { source: number; reason: number }) =>
          finish(
            new PacsError(
              `the PACS at ${this.label} aborted the association while ${doing} (A-ABORT, source ${source}, reason ${reason}): ` +
                `it may not allow our AE title ${entry.callingAet} (register it on the PACS, or set --aet)`,
              false,
            ),
          ),
        );
      });
      client.on('associationRejected', (rejection: { result: number; source: number; reason: number }) => {
        const words = REJECT_WORDS[rejection.reason] ?? `reason ${rejection.reason}`;
        finish(new PacsError(`the PACS at ${this.label} refused the association as ${entry.callingAet}: ${words}`, rejection.result === 2));
      });
      client.on('networkError', (error: Error & { code?: string }) => {
        // dcmjs-dimse wraps socket errors in its own words: the errno code is in the message.
        const code = error.code ?? /\b(E[A-Z]{3,}|ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*)\b/.exec(error.message)?.[1] ?? 'ERROR';
        if (/timeout/i.test(error.message)) finish(timeoutError(this.label, entry.timeoutSeconds, doing));
        else finish(networkError(this.label, code, error.message.replace(/^\s*->\s*/, ''), doing));
      });
      client.on('closed', () => finish());
      const timeoutMs = entry.timeoutSeconds * 1000;
      client.send(entry.host as string, entry.port as number, entry.callingAet, entry.calledAet as string, {
        connectTimeout: timeoutMs,
        associationTimeout: timeoutMs,
        pduTimeout: timeoutMs,
        ...userIdentity(this.connection.entry.auth, secret),
        ...(entry.tls ? { securityOptions: { ca: readTrustedCa(entry) ?? undefined, rejectUnauthorized: true } } : {}),
      });
    });
  }
}

/** Whether the PACS accepted a presentation context for a service (an abstract syntax). */
function accepts(association: Association, abstractSyntax: string): boolean {
  return association
    .getPresentationContexts()
    .some(({ context }) => context.getAbstractSyntaxUid() === abstractSyntax && context.getResult() === PresentationContextResult.Accept);
}

function userIdentity(auth: PacsConnection['entry']['auth'], secret: string | null) {
  if (auth.kind === 'basic') {
    return {
      userIdentity: {
        type: UserIdentityType.UsernameAndPasscode,
        positiveResponseRequested: false,
        primaryField: auth.user,
        secondaryField: secret ?? '',
      },
    };
  }
  if (auth.kind === 'bearer') {
    return {
      userIdentity: { type: UserIdentityType.Jwt, positiveResponseRequested: false, primaryField: secret ?? '', secondaryField: '' },
    };
  }
  return {};
}

function writeDataset(dataset: Dataset, path: string): Promise<void> {
  return new Promise((resolve, reject) => dataset.toFile(path, (error) => (error ? reject(error) : resolve())));
}

function str(value: unknown): string | null {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function num(value: unknown): number | null {
  const parsed = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && value !== '' && Number.isFinite(parsed) ? parsed : null;
}

function personName(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (first && typeof first === 'object' && 'Alphabetic' in first) return str((first as { Alphabetic: unknown }).Alphabetic);
  return str(first);
}

function hex(status: number | null): string {
  return status === null ? '(none)' : `0x${status.toString(16).padStart(4, '0')}`;
}
