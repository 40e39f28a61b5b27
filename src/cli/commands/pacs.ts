import type { PacsFindResult, PacsQuery } from '../../shared/pacs.ts';
import { DEFAULT_FIND_LIMIT, findStudies } from '../../engine/node/pacs/find-studies.ts';
import { openPeer } from '../../engine/node/pacs/open-peer.ts';
import { retrieveIntoWorkspace } from '../../engine/node/pacs/retrieve-into-workspace.ts';
import { storeSegmentation } from '../../engine/node/pacs/store-segmentation.ts';
import type { Command } from '../command.ts';
import { describeImport } from '../describe.ts';
import { optionalNumber, optionalString, requireString, stringList } from '../options.ts';
import { PACS_CONNECTION_OPTIONS, PACS_CONNECTION_USAGE, cancellable, connectionFromFlags } from '../pacs-options.ts';

/** `ssmtl pacs echo|find|get|store` (CONTRACT.md): the one network peer the app talks to is the PACS named here. */

export const pacsEchoCommand: Command = {
  name: 'pacs echo',
  summary: 'Check that a PACS answers (DICOMweb: a QIDO-RS search; DIMSE: C-ECHO) and how fast',
  usage: `pacs echo ${PACS_CONNECTION_USAGE} [--workspace DIR] [--json]`,
  options: { ...PACS_CONNECTION_OPTIONS, workspace: { type: 'string' } },
  async run(context) {
    const peer = await openPeer(connectionFromFlags(context));
    const t0 = performance.now();
    await cancellable((signal) => peer.echo(signal));
    const result = { ok: true as const, protocol: peer.protocol, ms: Math.round(performance.now() - t0) };
    return { json: result, text: `the PACS at ${peer.label} answers (${peer.protocol}, ${result.ms} ms)` };
  },
};

export const pacsFindCommand: Command = {
  name: 'pacs find',
  summary: 'Search a PACS for studies and their series (QIDO-RS or C-FIND)',
  usage: `pacs find ${PACS_CONNECTION_USAGE} [--patient ID] [--study-date YYYYMMDD[-YYYYMMDD]] [--modality M] [--description TEXT] [--limit N] [--workspace DIR] [--json]`,
  options: {
    ...PACS_CONNECTION_OPTIONS,
    workspace: { type: 'string' },
    patient: { type: 'string' },
    'study-date': { type: 'string' },
    modality: { type: 'string' },
    description: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(context) {
    const peer = await openPeer(connectionFromFlags(context));
    const query: PacsQuery = {
      patientId: optionalString(context, 'patient'),
      studyDate: optionalString(context, 'study-date'),
      modality: optionalString(context, 'modality'),
      description: optionalString(context, 'description'),
      limit: optionalNumber(context, 'limit', DEFAULT_FIND_LIMIT, { integer: true, min: 1, max: 10000 }),
    };
    const result = await cancellable((signal) => findStudies(peer, query, signal));
    return { json: result, text: describeFind(result) };
  },
};

export const pacsGetCommand: Command = {
  name: 'pacs get',
  summary: 'Retrieve whole series from a PACS (WADO-RS or C-GET) and import them into a workspace',
  usage: `pacs get ${PACS_CONNECTION_USAGE} --series UID… --workspace DIR [--json]`,
  options: { ...PACS_CONNECTION_OPTIONS, workspace: { type: 'string' }, series: { type: 'string', multiple: true } },
  async run(context) {
    const workspace = requireString(context, 'workspace');
    const series = stringList(context, 'series');
    const peer = await openPeer(connectionFromFlags(context));
    const result = await cancellable((signal) =>
      retrieveIntoWorkspace(workspace, peer, series, { signal, onProgress: (p) => context.progress.update(p) }),
    );
    return { json: result, text: describeImport(result) };
  },
};

export const pacsStoreCommand: Command = {
  name: 'pacs store',
  summary: "Send a model's DICOM SEG of a series (referencing its images) to a PACS (STOW-RS or C-STORE)",
  usage: `pacs store ${PACS_CONNECTION_USAGE} --workspace DIR --model NAME --series UID [--json]`,
  options: { ...PACS_CONNECTION_OPTIONS, workspace: { type: 'string' }, model: { type: 'string' }, series: { type: 'string' } },
  async run(context) {
    const workspace = requireString(context, 'workspace');
    const model = requireString(context, 'model');
    const seriesId = requireString(context, 'series');
    const peer = await openPeer(connectionFromFlags(context));
    const result = await cancellable((signal) => storeSegmentation(workspace, peer, { model, seriesId }, signal));
    return {
      json: result,
      text: `stored DICOM SEG ${result.stored.sopInstanceUid} (series ${result.stored.seriesUid}) on ${peer.label}\ncopy: ${result.file}`,
    };
  },
};

function describeFind(result: PacsFindResult): string {
  const lines = [`${result.studies.length} studies`];
  for (const study of result.studies) {
    lines.push(`  ${study.studyDate ?? '????????'}  patient ${study.patientId ?? '?'}  "${study.description ?? ''}"  ${study.studyUid}`);
    for (const s of study.series) {
      lines.push(
        `    ${(s.modality ?? '?').padEnd(4)} ${String(s.instances ?? '?').padStart(5)} images  "${s.description ?? ''}"  ${s.seriesUid}`,
      );
    }
  }
  return lines.join('\n');
}
