import type { DataSet } from 'dicom-parser';
import { Tag } from './tags.ts';

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

export function isDicomdir(dataSet: DataSet): boolean {
  return dataSet.string(Tag.MediaStorageSopClassUid)?.trim() === MEDIA_STORAGE_DIRECTORY;
}

/**
 * The files a DICOMDIR lists, as relative paths with '/' separators (PS3.10: ReferencedFileID
 * components are joined by backslashes, relative to the DICOMDIR's folder). A reference
 * that could leave that folder or name it ('..', '.', an empty or absolute component, a
 * drive, a '/' or control character inside a component) is no File ID: it is refused,
 * so a hostile DICOMDIR cannot make a scan read files the user did not choose.
 */
export function referencedFiles(dataSet: DataSet): { files: string[]; refused: string[] } {
  const records = dataSet.elements[Tag.DirectoryRecordSequence]?.items ?? [];
  const files = new Set<string>();
  const refused = new Set<string>();
  for (const record of records) {
    const id = record.dataSet?.string(Tag.ReferencedFileId)?.trim();
    if (!id) continue;
    const components = id.split('\\');
    if (components.every(isFileIdComponent)) files.add(components.join('/'));
    else refused.add(id);
  }
  return { files: [...files], refused: [...refused] };
}

function isFileIdComponent(component: string): boolean {
  if (component === '' || component === '.' || component === '..') return false;
  return ![...component].some((c) => c < ' ' || c === '/' || c === ':');
}
