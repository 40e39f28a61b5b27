import type { DataSet, Element } from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { encapsulatedFrameBytes } from './frame-fragments.ts';
import { GENERATED, loadDicom } from '../../../../tests/helpers/dicom-fixtures.ts';

/** Three frames, each over several 1 KiB fragments (dcmcjpeg +fs 1), with or without a basic offset table. */
function load(file: string) {
  const { dataSet } = loadDicom(new URL(file, GENERATED));
  return { dataSet, element: dataSet.elements.x7fe00010 };
}

function frames(dataSet: DataSet, element: Element): number[][] {
  return [0, 1, 2].map((f) => Array.from(encapsulatedFrameBytes(dataSet, element, f, 3)));
}

describe('encapsulatedFrameBytes', () => {
  const withTable = load('ct-s12-3f.jpeg-ll-sv1.fragments.dcm');
  const expected = frames(withTable.dataSet, withTable.element);

  it('splits by the basic offset table, each frame a whole JPEG stream', () => {
    expect(withTable.element.basicOffsetTable).toHaveLength(3);
    expect(withTable.element.fragments!.length).toBeGreaterThan(3);
    for (const frame of expected) {
      expect(frame.slice(0, 2)).toEqual([0xff, 0xd8]);
      expect(frame.lastIndexOf(0xd9)).toBeGreaterThan(frame.length - 3);
    }
  });

  it('without an offset table, finds the frames by their start markers', () => {
    const { dataSet, element } = load('ct-s12-3f.jpeg-ll-sv1.fragments-nobot.dcm');
    expect(element.basicOffsetTable).toHaveLength(0);
    expect(frames(dataSet, element)).toEqual(expected);
  });

  it('falls back to start markers when the basic offset table is wrong', () => {
    const { dataSet, element } = withTable;
    expect(frames(dataSet, { ...element, basicOffsetTable: [0, 7, 9] })).toEqual(expected);
  });

  it('prefers the extended offset table (7FE0,0001)', () => {
    const { dataSet, element } = withTable;
    const starts = element.basicOffsetTable!;
    const table = new Uint8Array(24);
    starts.forEach((offset, f) => new DataView(table.buffer).setBigUint64(8 * f, BigInt(offset), true));
    const byteArray = new Uint8Array(dataSet.byteArray.length + table.length);
    byteArray.set(dataSet.byteArray);
    byteArray.set(table, dataSet.byteArray.length);
    const extended: Element = { tag: 'x7fe00001', vr: 'OV', length: 24, dataOffset: dataSet.byteArray.length };
    const withExtended = Object.assign(Object.create(Object.getPrototypeOf(dataSet)) as DataSet, dataSet, {
      byteArray,
      elements: { ...dataSet.elements, x7fe00001: extended },
    });
    expect(frames(withExtended, { ...element, basicOffsetTable: [] })).toEqual(expected);
  });

  it('a single frame is all its fragments joined', () => {
    const { dataSet, element } = load('ct-s16.jpeg-ll-sv1.fragments.dcm');
    const whole = encapsulatedFrameBytes(dataSet, element, 0, 1);
    expect(element.fragments!.length).toBeGreaterThan(1);
    expect(whole.length).toBe(element.fragments!.reduce((n, fragment) => n + fragment.length, 0));
  });
});
