import { computed, onBeforeUnmount, ref } from 'vue';
import {
  autoRunTrial,
  completeTrialTask,
  endTrial,
  fireTrialTimer,
  getTrial,
  getTrialVariables,
  startTrial,
  type TrialState,
  type TrialVariables,
} from '../../../api/designer';
import { ApiError } from '../../../api/request';

/**
 * 试运行面板的状态：生成的数据（可改）、开始、每 2 秒刷新一次实例（令牌、待办、决策），办理待办、自动走完、结束并清理。
 * 试运行只在引擎的沙箱中，不写平台的任何数据。
 */
export function useTrial() {
  const processId = ref('');
  const variables = ref<Array<{ name: string; value: string; kind: 'string' | 'number' | 'boolean' | 'null' }>>([]);
  const state = ref<TrialState | null>(null);
  const busy = ref(false);
  const error = ref('');
  /** What the last 触发定时器 did: which timer, where the token went. */
  const fired = ref('');
  let timer: ReturnType<typeof setInterval> | undefined;

  const running = computed(() => state.value !== null && !state.value.ended);

  function stopPolling(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  function poll(): void {
    stopPolling();
    timer = setInterval(() => void refresh(), 2000);
  }

  async function prepare(xml: string): Promise<void> {
    error.value = '';
    state.value = null;
    processId.value = /<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/.exec(xml)?.[1] ?? '';
    const generated: TrialVariables = processId.value ? await getTrialVariables(processId.value) : { budgetTrial: true };
    variables.value = Object.entries(generated)
      .filter(([name]) => name !== 'budgetTrial')
      .map(([name, v]) => ({
        name,
        value: v === null ? '' : String(v),
        kind: v === null ? 'null' : (typeof v as 'string' | 'number' | 'boolean'),
      }));
  }

  function typedVariables(): TrialVariables {
    const out: TrialVariables = {};
    for (const v of variables.value) {
      if (v.kind === 'number') out[v.name] = Number.isFinite(Number(v.value)) ? Number(v.value) : v.value;
      else if (v.kind === 'boolean') out[v.name] = v.value === 'true';
      else if (v.kind === 'null') out[v.name] = v.value === '' ? null : v.value;
      else out[v.name] = v.value;
    }
    return out;
  }

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = '';
    try {
      return await fn();
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : e instanceof Error ? e.message : '操作失败';
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  async function start(xml: string): Promise<TrialState | undefined> {
    const started = await run(() => startTrial(xml, typedVariables()));
    if (started) {
      state.value = started;
      if (!started.ended) poll();
    }
    return started;
  }

  async function refresh(): Promise<void> {
    if (!state.value) return;
    try {
      state.value = await getTrial(state.value.trialId);
      if (state.value.ended) stopPolling();
    } catch (e) {
      stopPolling();
      if (e instanceof ApiError && e.status === 404) error.value = '试运行已结束清理';
    }
  }

  async function complete(taskId: string, input: { auto: true } | { values: Record<string, string> }): Promise<void> {
    if (!state.value) return;
    const trialId = state.value.trialId;
    const next = await run(() => completeTrialTask(trialId, taskId, input));
    if (next) state.value = next;
  }

  async function auto(): Promise<void> {
    if (!state.value) return;
    const trialId = state.value.trialId;
    const next = await run(() => autoRunTrial(trialId));
    if (next) state.value = next;
  }

  async function fireTimer(jobId: string): Promise<void> {
    if (!state.value) return;
    const trialId = state.value.trialId;
    const next = await run(() => fireTrialTimer(trialId, jobId));
    if (!next) return;
    const { fired: what, ...rest } = next;
    state.value = rest;
    const timerName = next.steps.find((s) => s.elementId === what.elementId)?.name ?? what.elementId;
    fired.value = what.movedTo.length
      ? `定时器“${timerName}”已触发，流程已到：${what.movedTo.map((m) => m.name ?? m.elementId).join('、')}`
      : `定时器“${timerName}”已触发，流程已结束`;
  }

  async function end(): Promise<boolean> {
    if (!state.value) return true;
    const trialId = state.value.trialId;
    stopPolling();
    const ok = await run(async () => {
      await endTrial(trialId);
      return true;
    });
    if (ok) {
      state.value = null;
      fired.value = '';
    }
    return ok === true;
  }

  onBeforeUnmount(stopPolling);

  return { processId, variables, state, busy, error, fired, running, prepare, start, refresh, complete, auto, fireTimer, end, stopPolling };
}
