import type { DataSet } from 'dicom-parser';
import { Tag } from './tags.ts';

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

export function isDicomdir(dataSet: DataSet): boolean {
  return dataSet.string(Tag.MediaStorageSopClassUid)?.trim() === MEDIA_STORAGE_DIRECTORY;
}

/**
 * The files a DICOMDIR lists, as relative paths with '/' separators (PS3.10: ReferencedFileID
 * components are joined by backslashes, relative to the DICOMDIR's folder).
 */
export function referencedFiles(dataSet: DataSet): string[] {
  const records = dataSet.elements[Tag.DirectoryRecordSequence]?.items ?? [];
  const files: string[] = [];
  for (const record of records) {
    const id = record.dataSet?.string(Tag.ReferencedFileId);
    if (id) files.push(id.trim().split('\\').filter(Boolean).join('/'));
  }
  return [...new Set(files)];
}
