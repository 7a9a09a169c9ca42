import { getCurrentInstance, onBeforeUnmount, ref, shallowRef } from 'vue';
import type { Page } from '../api/reference';
import { ApiError } from '../api/request';

export const PAGE_SIZES = [10, 20, 50, 100] as const;

export interface UsePagedListOptions {
  /** 每页条数，默认 20 */
  pageSize?: number;
  /** 非 ApiError 的意外错误时显示的文字 */
  errorMessage: string;
}

/**
 * 服务端分页列表的通用状态：页码、每页条数、总数、当前页数据、加载中、错误。
 * 每次加载取消上一次未完成的请求，以最后一次为准；组件卸载时取消进行中的请求。
 * fetchPage 由各页面的组合式函数提供（带上各自的查询条件）。
 */
export function usePagedList<T>(
  fetchPage: (paging: { page: number; pageSize: number }, signal: AbortSignal) => Promise<Page<T>>,
  options: UsePagedListOptions,
) {
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const page = ref(1);
  const pageSize = ref(options.pageSize ?? 20);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);

  let controller: AbortController | null = null;

  async function load(): Promise<void> {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    try {
      const result = await fetchPage({ page: page.value, pageSize: pageSize.value }, current.signal);
      if (controller !== current) return;
      // 删除或筛选变化后当前页已超出末页：回到末页再取一次
      if (result.items.length === 0 && result.total > 0 && page.value > 1) {
        page.value = Math.max(1, Math.ceil(result.total / pageSize.value));
        controller = null;
        return await load();
      }
      items.value = result.items;
      total.value = result.total;
      error.value = null;
    } catch (e) {
      if (controller !== current) return;
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', options.errorMessage, 0, { cause: e });
    } finally {
      if (controller === current) {
        controller = null;
        loading.value = false;
      }
    }
  }

  /** 回到第一页并加载（查询条件改变时） */
  function loadFirstPage(): Promise<void> {
    page.value = 1;
    return load();
  }

  function onPageChange(value: number): void {
    page.value = value;
    void load();
  }

  function onPageSizeChange(value: number): void {
    pageSize.value = value;
    page.value = 1;
    void load();
  }

  /** 用服务端返回的最新数据替换当前页中的一行（记账成功后刷新该行） */
  function replaceItem(matches: (item: T) => boolean, next: T): void {
    items.value = items.value.map((item) => (matches(item) ? next : item));
  }

  function clear(): void {
    controller?.abort();
    controller = null;
    loading.value = false;
    items.value = [];
    total.value = 0;
    page.value = 1;
    error.value = null;
  }

  if (getCurrentInstance()) {
    onBeforeUnmount(() => {
      controller?.abort();
      controller = null;
    });
  }

  return { items, total, page, pageSize, loading, error, load, loadFirstPage, onPageChange, onPageSizeChange, replaceItem, clear };
}
