import { createPinia, setActivePinia } from 'pinia';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computed } from 'vue';
import type { JobSummary, SeriesStatus, StudioApi, StudioEvent } from '../../../shared/api.ts';
import type { useStudioStore as UseStudioStore } from './studio-store.ts';
import { seriesStatus } from './test-fixtures.ts';

/** The engine as the store sees it: canned answers, and events the test pushes. */
class FakeApi {
  listeners: ((event: StudioEvent) => void)[] = [];
  series: SeriesStatus[] = [];
  seriesCalls = 0;
  failListModels: Error | null = null;
  workspace = async () => ({
    dir: '/ws',
    exists: true,
    transport: 'serve' as const,
    backend: { requested: 'auto' as const, lastUsed: null, notes: [], gpuWorker: null },
  });
  listSeries = async () => {
    this.seriesCalls++;
    return structuredClone(this.series);
  };
  listModels = async () => {
    if (this.failListModels) throw this.failListModels;
    return [];
  };
  listLabels = async () => [{ value: 1, name: 'tumour', color: '#ff0000' }];
  listJobs = async () => [] as JobSummary[];
  controls: [string, string][] = [];
  controlJob = async (jobId: string, command: string) => {
    this.controls.push([jobId, command]);
    return job(jobId, 'running');
  };
  onEvent = (listener: (event: StudioEvent) => void) => {
    this.listeners.push(listener);
    return () => {};
  };
  push(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function job(id: string, state: JobSummary['state']): JobSummary {
  return {
    id,
    kind: 'import',
    title: 'Importing',
    state,
    fraction: 0.5,
    detail: '',
    etaSeconds: null,
    startedAt: '',
    endedAt: null,
    backend: '',
    backendNotes: [],
    lossHistory: [],
    message: null,
    produced: [],
    skipped: [],
    canPause: false,
    queue: null,
  };
}

const api = new FakeApi();
let useStudioStore: typeof UseStudioStore;

beforeAll(async () => {
  // studioApi() takes Electron's bridge when the page has one: the fake stands in for it.
  (globalThis as { window?: unknown }).window = { studio: api as unknown as StudioApi };
  ({ useStudioStore } = await import('./studio-store.ts'));
});

beforeEach(() => {
  setActivePinia(createPinia());
  api.listeners = [];
  api.series = [seriesStatus('A'), seriesStatus('B', { annotatedSlices: [2] })];
  api.seriesCalls = 0;
  api.failListModels = null;
});

describe('the studio store', () => {
  it('loads the workspace, series and labels, and listens to the engine once', async () => {
    const studio = useStudioStore();
    await studio.refresh();
    await studio.refresh();
    expect(studio.series.map((s) => s.id)).toEqual(['A', 'B']);
    expect(studio.labels.map((l) => l.name)).toEqual(['tumour']);
    expect(api.listeners).toHaveLength(1);
  });

  it("takes a saved annotation's slices from the engine's event, for that series only", async () => {
    const studio = useStudioStore();
    await studio.refresh();
    // what the Library's chips and the slice strip read: it must follow the event
    const annotatedA = computed(() => studio.series.find((s) => s.id === 'A')?.annotatedSlices);
    expect(annotatedA.value).toEqual([]);
    api.push({ type: 'annotation-saved', saved: { seriesId: 'A', index: 3, annotatedSlices: [3] } });
    expect(annotatedA.value).toEqual([3]);
    expect(studio.series.find((s) => s.id === 'B')?.annotatedSlices).toEqual([2]);
  });

  it('keeps one entry per job, newest first, and rereads the series when a job ends', async () => {
    const studio = useStudioStore();
    await studio.refresh();
    const before = api.seriesCalls;
    api.push({ type: 'job', job: job('j1', 'running') });
    api.push({ type: 'job', job: job('j2', 'running') });
    api.push({ type: 'job', job: job('j1', 'done') });
    expect(studio.jobs.map((j) => [j.id, j.state])).toEqual([
      ['j2', 'running'],
      ['j1', 'done'],
    ]);
    expect(studio.runningJobs.map((j) => j.id)).toEqual(['j2']);
    await new Promise((resolve) => setTimeout(resolve));
    expect(api.seriesCalls).toBe(before + 1);
  });

  it("shows a pause or cancel as asked at once, until the job's state answers it", async () => {
    const studio = useStudioStore();
    await studio.refresh();
    api.push({ type: 'job', job: job('j1', 'running') });
    const asking = studio.controlJob(studio.jobs[0], 'cancel');
    expect(studio.requests).toEqual({ j1: 'cancel' });
    await asking;
    expect(api.controls).toEqual([['j1', 'cancel']]);
    // Still running (the step in progress ends first): still "cancelling…".
    api.push({ type: 'job', job: job('j1', 'running') });
    expect(studio.requests).toEqual({ j1: 'cancel' });
    api.push({ type: 'job', job: job('j1', 'cancelled') });
    expect(studio.requests).toEqual({});

    api.push({ type: 'job', job: job('j2', 'running') });
    await studio.controlJob(studio.jobs[0], 'pause');
    expect(studio.requests).toEqual({ j2: 'pause' });
    api.push({ type: 'job', job: job('j2', 'paused') });
    expect(studio.requests).toEqual({});
  });

  it('shows an engine error as words on screen instead of throwing', async () => {
    const studio = useStudioStore();
    api.failListModels = new Error("Error invoking remote method 'studio:list-models': Error: the workspace folder is gone");
    await studio.refresh();
    expect(studio.error).toBe('the workspace folder is gone');
    api.failListModels = null;
    await studio.refresh();
    expect(studio.error).toBeNull();
  });
});
