import type { SeriesStatus } from '../../../shared/api.ts';

/**
 * How a series is named on screen: patient, then description. Descriptions repeat
 * across patients ("AX CHEST", or the sample's four subjects), so the patient ID comes
 * first; the UID only when a series has no description.
 */
export function seriesLabel(series: Pick<SeriesStatus, 'patientId' | 'description' | 'id'>): string {
  const name = series.description || series.id;
  return series.patientId ? `${series.patientId} · ${name}` : name;
}
