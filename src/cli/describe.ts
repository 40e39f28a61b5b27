import type { ImportResult, ScanResult, SkippedFile, WorkspaceInfo } from '../shared/series.ts';

/** Plain-text renderings of command results, for a person at a terminal (without --json). */

export function describeScan(result: ScanResult): string {
  const lines = [`${result.series.length} series found`];
  for (const s of result.series) {
    lines.push(
      `  ${s.id}`,
      `    ${s.format} ${s.modality ?? '?'} "${s.description ?? ''}" patient ${s.patientId ?? '?'}: ${s.slices} slices of ${s.cols} × ${s.rows}, spacing ${s.spacing.map((v) => v.toFixed(3)).join(' × ')} mm`,
      ...s.warnings.map((w) => `    warning: ${w}`),
    );
  }
  lines.push(...describeSkipped(result.skipped));
  return lines.join('\n');
}

export function describeImport(result: ImportResult): string {
  const lines = [`${result.imported.length} series in the workspace`];
  for (const s of result.imported) lines.push(`  ${s.id}: ${s.slices} slices of ${s.cols} × ${s.rows}`);
  lines.push(...describeSkipped(result.skipped));
  return lines.join('\n');
}

export function describeInfo(info: WorkspaceInfo): string {
  const lines = [`${info.series.length} series`];
  for (const s of info.series) {
    lines.push(
      `  ${s.id}`,
      `    ${s.format} ${s.modality ?? '?'}${s.patientId ? ` patient ${s.patientId}` : ''} "${s.description ?? ''}": ${s.slices} slices of ${s.cols} × ${s.rows}, ${s.annotatedSlices.length} annotated`,
    );
    for (const st of s.stats ?? []) {
      lines.push(`    slice ${st.index} at ${st.position.toFixed(2)} mm: mean ${st.mean.toFixed(1)}, min ${st.min}, max ${st.max}`);
    }
  }
  lines.push(`${info.models.length} models`);
  for (const m of info.models) lines.push(`  ${m.name} (${m.kind}, ${m.method}, ${m.createdAt})`);
  if (info.swept.files > 0)
    lines.push(`swept ${info.swept.files} leftover file(s) of interrupted work (${(info.swept.bytes / 1e6).toFixed(1)} MB)`);
  if (info.readOnly) lines.push(`read-only: ${info.readOnly}`);
  return lines.join('\n');
}

function describeSkipped(skipped: SkippedFile[]): string[] {
  if (skipped.length === 0) return [];
  return [`${skipped.length} file(s) skipped`, ...skipped.map((s) => `  ${s.path}: ${s.reason}`)];
}
