import { InputError } from '../../../shared/errors.ts';
import { isValidStudyDate, type PacsFindResult, type PacsQuery } from '../../../shared/pacs.ts';
import type { PacsPeer } from './pacs-peer.ts';

export const DEFAULT_FIND_LIMIT = 100;

/**
 * `pacs find`: studies matching patient, date range and modality (asked of the PACS),
 * each with its series. The description and modality are also checked here, on the
 * series, because PACS differ in how they match text (case, wildcards) and in whether
 * they support ModalitiesInStudy: a study whose series do not match is left out.
 */
export async function findStudies(peer: PacsPeer, query: PacsQuery, signal?: AbortSignal): Promise<PacsFindResult> {
  if (query.studyDate !== undefined && !isValidStudyDate(query.studyDate)) {
    throw new InputError(`--study-date ${query.studyDate}: expected YYYYMMDD or a range YYYYMMDD-YYYYMMDD`);
  }
  const limit = query.limit ?? DEFAULT_FIND_LIMIT;
  const studies = await peer.searchStudies(
    {
      patientId: query.patientId || undefined,
      studyDate: query.studyDate || undefined,
      modality: query.modality?.trim().toUpperCase() || undefined,
    },
    limit,
    signal,
  );
  const needle = query.description?.trim().toLowerCase() || null;
  const modality = query.modality?.trim().toUpperCase() || null;
  const result: PacsFindResult = { studies: [] };
  for (const study of studies.slice(0, limit)) {
    if (!study.studyUid) continue;
    const studyMatches = needle === null || (study.description ?? '').toLowerCase().includes(needle);
    const series = (await peer.searchSeries(study.studyUid, null, signal)).filter(
      (s) =>
        (modality === null || (s.modality ?? '').toUpperCase() === modality) &&
        (studyMatches || (s.description ?? '').toLowerCase().includes(needle as string)),
    );
    if ((modality !== null || needle !== null) && series.length === 0) continue;
    result.studies.push({
      ...study,
      series: series.map((s) => ({ seriesUid: s.seriesUid, modality: s.modality, description: s.description, instances: s.instances })),
    });
  }
  return result;
}
