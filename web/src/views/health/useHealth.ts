import { computed, onBeforeUnmount, onMounted, ref, shallowRef } from 'vue';
import { getHealth, type HealthReport } from '../../api/health';
import { ApiError } from '../../api/request';
import { formatShanghaiDateTime } from '../../utils/datetime';

/** 自动刷新间隔：10 秒 */
export const HEALTH_REFRESH_INTERVAL_MS = 10_000;

export interface UseHealthOptions {
  /** 自动刷新间隔（毫秒），0 表示不自动刷新 */
  intervalMs?: number;
}

/**
 * 系统状态页的状态管理：加载健康检查报告、定时刷新、错误处理。
 * 须在组件 setup 中调用；组件卸载时自动清理定时器并取消进行中的请求。
 */
export function useHealth(options: UseHealthOptions = {}) {
  const intervalMs = options.intervalMs ?? HEALTH_REFRESH_INTERVAL_MS;

  const report = shallowRef<HealthReport | null>(null);
  const error = shallowRef<ApiError | null>(null);
  const loading = ref(false);
  /** 浏览器端最近一次成功获取报告的时间 */
  const fetchedAt = shallowRef<Date | null>(null);

  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let disposed = false;

  async function refresh(): Promise<void> {
    if (disposed) return;
    // 手动刷新时取消上一次尚未完成的请求，以最新一次为准
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    try {
      const data = await getHealth({ signal: current.signal });
      if (controller !== current) return;
      report.value = data;
      error.value = null;
      fetchedAt.value = new Date();
    } catch (e) {
      if (controller !== current) return;
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取系统状态失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === current) {
        controller = null;
        loading.value = false;
      }
    }
  }

  function tick(): void {
    // 上一次请求尚未返回时跳过本轮，避免请求堆积
    if (loading.value) return;
    void refresh();
  }

  function stop(): void {
    if (timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  onMounted(() => {
    void refresh();
    if (intervalMs > 0) timer = setInterval(tick, intervalMs);
  });

  onBeforeUnmount(() => {
    disposed = true;
    stop();
    controller?.abort();
    controller = null;
  });

  const allUp = computed(() => report.value?.status === 'ok');

  /** 最近检查时间（北京时间）：优先使用服务端报告时间 */
  const lastCheckedText = computed(() => {
    const fromReport = formatShanghaiDateTime(report.value?.time);
    if (fromReport) return fromReport;
    return formatShanghaiDateTime(fetchedAt.value);
  });

  return {
    report,
    error,
    loading,
    fetchedAt,
    allUp,
    lastCheckedText,
    intervalMs,
    refresh,
    stop,
  };
}
