import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testUid, writeDicom } from '../../../../tests/helpers/write-dicom.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { Workspace } from '../workspace/workspace.ts';
import { StudioService } from './studio-service.ts';

/**
 * The series list keeps each series' plane once computed (series-plane.ts): a series
 * imported again with other slice positions (a corrected export from the scanner) must
 * show its new positions in mm, not the ones of the first import.
 */
describe("the series list's planes", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-planes-'));
  const workspaceDir = join(dir, 'workspace');
  const service = new StudioService({ workspace: workspaceDir, transport: 'serve' });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seriesUid = testUid();
  async function importWithSpacing(folder: string, spacing: number): Promise<void> {
    mkdirSync(folder, { recursive: true });
    for (let k = 0; k < 4; k++)
      writeFileSync(
        join(folder, `${k}.dcm`),
        writeDicom({
          seriesUid,
          instanceNumber: k + 1,
          position: [0, 0, k * spacing],
          rows: 4,
          cols: 4,
          sopInstanceUid: `${seriesUid}.${k}`,
        }),
      );
    const workspace = Workspace.open(workspaceDir, { create: true });
    try {
      await importScanned(workspace, scanPaths([folder]));
    } finally {
      workspace.close();
    }
  }

  it('follow a series imported again with other positions', async () => {
    await importWithSpacing(join(dir, 'first'), 1);
    const [first] = await service.listSeries();
    expect(first.plane?.positions).toEqual([0, 1, 2, 3]);
    expect((await service.listSeries())[0].plane).toEqual(first.plane);

    await importWithSpacing(join(dir, 'corrected'), 2.5);
    const [again] = await service.listSeries();
    expect(again.id).toBe(first.id);
    expect(again.plane?.positions).toEqual([0, 2.5, 5, 7.5]);
    expect(again.spacing[2]).toBeCloseTo(2.5);
  });
});
