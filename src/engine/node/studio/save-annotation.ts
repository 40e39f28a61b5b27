import type { AnnotationSaved } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import { deleteSliceAnnotations, saveSliceAnnotations } from '../annotations/annotation-store.ts';
import type { StudioSession } from './studio-session.ts';

/** One slice's labels from the annotator (rows × cols uint16 bytes); an all-zero mask removes the slice's annotation. */
export function saveAnnotation(session: StudioSession, seriesId: string, index: number, mask: Uint8Array): AnnotationSaved {
  const workspace = session.requireWorkspace();
  const series = workspace.requireSeries(seriesId);
  const plane = series.rows * series.cols;
  if (mask.byteLength !== plane * 2)
    throw new InputError(`a label map of series ${seriesId} has ${plane} uint16 values (${plane * 2} bytes), got ${mask.byteLength} bytes`);
  // Copy: the bytes may be a view at an odd offset of a larger message buffer.
  const labels = new Uint16Array(plane);
  new Uint8Array(labels.buffer).set(mask);
  if (labels.some((v) => v !== 0)) saveSliceAnnotations(workspace, series, [{ index, labels }]);
  else deleteSliceAnnotations(workspace, series, [index]);
  const saved = { seriesId, index, annotatedSlices: workspace.annotatedSlices(series.key) };
  session.emit({ type: 'annotation-saved', saved });
  return saved;
}
