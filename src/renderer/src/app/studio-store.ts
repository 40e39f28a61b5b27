import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { JobSummary, PaletteLabel, SeriesStatus, StudioEvent, StudioModel, WorkspaceStatus } from '../../../shared/api.ts';
import { isActiveJob, type JobCommand } from '../../../shared/job.ts';
import { studioApi } from '../api/studio-api.ts';

/**
 * What the engine reports about the open workspace (series, models, labels) and the
 * session's jobs, kept current by the engine's pushed events.
 */
export const useStudioStore = defineStore('studio', () => {
  const workspace = ref<WorkspaceStatus | null>(null);
  /**
   * Replaced as a whole, never changed in place: a shallow ref, so the series' planes
   * (a position and an origin per slice, 10 000 for a large workspace) are not wrapped
   * in reactive proxies, which made drawing the Library's list markedly slower.
   */
  const series = shallowRef<SeriesStatus[]>([]);
  const models = ref<StudioModel[]>([]);
  const labels = ref<PaletteLabel[]>([]);
  const jobs = ref<JobSummary[]>([]);
  const error = ref<string | null>(null);
  /**
   * Pause, resume or cancel asked of a job and not yet answered by its state: shown at
   * once ("cancelling…"), however long the job takes to reach a point where it can stop.
   */
  const requests = ref<Record<string, JobCommand['type']>>({});
  let subscribed = false;

  // Only finished runs can start a fine-tune; a stopped one is resumed from the Pre-train screen.
  const pretrainedModels = computed(() => models.value.filter((m) => m.kind === 'pretrained' && m.complete));
  const segmentationModels = computed(() => models.value.filter((m) => m.kind === 'segmentation' && m.complete));
  /** fine-tunings stopped before they saved a model, newest last */
  const stoppedFinetunes = computed(() => models.value.filter((m) => m.kind === 'segmentation' && m.resumable));
  /** jobs not yet ended: queued ones too (the interface offers no second start of what is already waiting) */
  const runningJobs = computed(() => jobs.value.filter((j) => isActiveJob(j.state)));

  /** Runs an API call, showing its error in the interface instead of throwing. */
  async function attempt<T>(action: () => Promise<T>): Promise<T | null> {
    try {
      const result = await action();
      error.value = null;
      return result;
    } catch (caught) {
      error.value =
        caught instanceof Error ? caught.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '') : String(caught);
      return null;
    }
  }

  async function refreshSeries(): Promise<void> {
    const api = studioApi();
    const [ws, list] = await Promise.all([api.workspace(), api.listSeries()]);
    workspace.value = ws;
    series.value = list;
  }

  async function refreshModels(): Promise<void> {
    models.value = await studioApi().listModels();
  }

  /** A new label set only when it differs: the viewer reopens its series on a change. */
  function setLabels(next: PaletteLabel[]): void {
    if (JSON.stringify(next) !== JSON.stringify(labels.value)) labels.value = next;
  }

  async function refresh(): Promise<void> {
    const api = studioApi();
    if (!subscribed) {
      subscribed = true;
      api.onEvent(onEvent);
    }
    await attempt(async () => {
      await Promise.all([refreshSeries(), refreshModels()]);
      setLabels(await api.listLabels());
      jobs.value = await api.listJobs();
    });
  }

  /** Whether a job's state answers what was asked of it (an ended job answers everything). */
  function answered(job: JobSummary, command: JobCommand['type']): boolean {
    if (!isActiveJob(job.state)) return true;
    return command === 'pause' ? job.state === 'paused' : command === 'resume' ? job.state === 'running' : false;
  }

  async function controlJob(job: JobSummary, command: JobCommand['type']): Promise<void> {
    requests.value = { ...requests.value, [job.id]: command };
    const result = await attempt(() => studioApi().controlJob(job.id, command));
    const current = jobs.value.find((j) => j.id === job.id);
    if (!result || (current && answered(current, command))) forgetRequest(job.id, command);
  }

  function forgetRequest(jobId: string, command?: JobCommand['type']): void {
    if (!(jobId in requests.value) || (command && requests.value[jobId] !== command)) return;
    const rest = { ...requests.value };
    delete rest[jobId];
    requests.value = rest;
  }

  function onEvent(event: StudioEvent): void {
    switch (event.type) {
      case 'job': {
        const at = jobs.value.findIndex((j) => j.id === event.job.id);
        if (at >= 0) jobs.value.splice(at, 1, event.job);
        else jobs.value.unshift(event.job);
        const request = requests.value[event.job.id];
        if (request && answered(event.job, request)) forgetRequest(event.job.id);
        if (!isActiveJob(event.job.state)) void attempt(refreshSeries);
        break;
      }
      case 'series-changed':
        void attempt(async () => {
          await refreshSeries();
          setLabels(await studioApi().listLabels());
        });
        break;
      case 'models-changed':
        void attempt(refreshModels);
        break;
      case 'labels-changed':
        void attempt(async () => setLabels(await studioApi().listLabels()));
        break;
      case 'compute-changed':
        void attempt(async () => {
          workspace.value = await studioApi().workspace();
        });
        break;
      case 'annotation-saved': {
        const { seriesId, annotatedSlices } = event.saved;
        if (series.value.some((s) => s.id === seriesId))
          series.value = series.value.map((s) => (s.id === seriesId ? { ...s, annotatedSlices } : s));
        break;
      }
    }
  }

  function latestJob(kind: JobSummary['kind']): JobSummary | null {
    return jobs.value.find((j) => j.kind === kind) ?? null;
  }

  return {
    workspace,
    series,
    models,
    labels,
    setLabels,
    jobs,
    error,
    requests,
    controlJob,
    pretrainedModels,
    segmentationModels,
    stoppedFinetunes,
    runningJobs,
    attempt,
    refresh,
    latestJob,
  };
});
