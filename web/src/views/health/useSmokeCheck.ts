import { computed, onBeforeUnmount, ref, shallowRef, toValue, type MaybeRefOrGetter } from 'vue';
import { runSmokeCheck, type SmokeCheckResult } from '../../api/engine';
import { ApiError } from '../../api/request';
import { formatShanghaiDateTime } from '../../utils/datetime';

export interface UseSmokeCheckOptions {
  /** 是否允许发起自检（例如流程引擎状态为正常）；默认允许 */
  enabled?: MaybeRefOrGetter<boolean>;
}

/**
 * 系统状态页“运行流程自检”的状态管理。
 * 同一时间只允许一个自检请求：运行中再次调用 run() 直接忽略。
 * 须在组件 setup 中调用；组件卸载时取消进行中的请求。
 */
export function useSmokeCheck(options: UseSmokeCheckOptions = {}) {
  const result = shallowRef<SmokeCheckResult | null>(null);
  const error = shallowRef<ApiError | null>(null);
  const running = ref(false);

  let controller: AbortController | null = null;
  let disposed = false;

  const enabled = computed(() => (options.enabled === undefined ? true : toValue(options.enabled)));
  const disabled = computed(() => running.value || !enabled.value);

  async function run(): Promise<void> {
    // 运行中（含连续快速点击）不再发起第二个请求
    if (disposed || running.value || !enabled.value) return;
    const current = new AbortController();
    controller = current;
    running.value = true;
    result.value = null;
    error.value = null;
    try {
      result.value = await runSmokeCheck({ signal: current.signal });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '流程自检失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === current) controller = null;
      running.value = false;
    }
  }

  onBeforeUnmount(() => {
    disposed = true;
    controller?.abort();
    controller = null;
  });

  /** 成功提示：自检通过：流程实例 …，耗时 … 毫秒，记录时间 …（北京时间） */
  const resultText = computed(() => {
    const r = result.value;
    if (!r) return '';
    const recordedAt = formatShanghaiDateTime(r.recordedAt) || '—';
    return `自检通过：流程实例 ${r.processInstanceKey}，耗时 ${r.durationMs} 毫秒，记录时间 ${recordedAt}`;
  });

  return { result, error, running, disabled, resultText, run };
}
