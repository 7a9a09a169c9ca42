import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../web/src/api/request';
import { usePagedList } from '../../web/src/composables/usePagedList';
import type { Page } from '../../web/src/api/reference';

interface Row {
  id: number;
}

/** A fetcher whose answers the test releases one by one, recording each request and its signal. */
function controlledFetcher() {
  const calls: {
    page: number;
    pageSize: number;
    signal: AbortSignal;
    resolve: (v: { items: Row[]; total: number }) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const fetchPage = vi.fn(
    (paging: { page: number; pageSize: number }, signal: AbortSignal) =>
      new Promise<Page<Row>>((resolve, reject) =>
        calls.push({ ...paging, signal, resolve: (answer) => resolve({ ...answer, ...paging }), reject }),
      ),
  );
  return { calls, fetchPage };
}

const rows = (...ids: number[]): Row[] => ids.map((id) => ({ id }));

describe('usePagedList', () => {
  it('loads a page and shows its rows and total', async () => {
    const { calls, fetchPage } = controlledFetcher();
    const list = usePagedList(fetchPage, { errorMessage: '加载失败' });
    const loading = list.load();
    expect(list.loading.value).toBe(true);
    calls[0]!.resolve({ items: rows(1, 2), total: 2 });
    await loading;
    expect(list.items.value).toEqual(rows(1, 2));
    expect(list.total.value).toBe(2);
    expect(list.loading.value).toBe(false);
    expect(calls[0]).toMatchObject({ page: 1, pageSize: 20 });
  });

  it('a newer load cancels the older one, and the older answer never overwrites the newer', async () => {
    const { calls, fetchPage } = controlledFetcher();
    const list = usePagedList(fetchPage, { errorMessage: '加载失败' });
    const first = list.load();
    list.onPageChange(2);
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[1]!.resolve({ items: rows(21), total: 21 });
    calls[0]!.resolve({ items: rows(1), total: 21 });
    await first;
    await vi.waitFor(() => expect(list.loading.value).toBe(false));
    expect(list.items.value).toEqual(rows(21));
    expect(list.page.value).toBe(2);
  });

  it('a page beyond the last (rows deleted meanwhile) goes back to the last page', async () => {
    const fetchPage = vi.fn(async ({ page }: { page: number; pageSize: number }) =>
      page === 5 ? { items: [], total: 41, page, pageSize: 20 } : { items: rows(41), total: 41, page, pageSize: 20 },
    );
    const list = usePagedList(fetchPage, { errorMessage: '加载失败' });
    list.page.value = 5;
    await list.load();
    expect(list.page.value).toBe(3);
    expect(list.items.value).toEqual(rows(41));
    expect(fetchPage).toHaveBeenCalledTimes(2);
  });

  it('a server refusal is kept as is; an unexpected failure becomes the page’s own message', async () => {
    const { calls, fetchPage } = controlledFetcher();
    const list = usePagedList(fetchPage, { errorMessage: '项目列表加载失败' });
    const a = list.load();
    calls[0]!.reject(new ApiError('FORBIDDEN', '无权查看', 403));
    await a;
    expect(list.error.value?.code).toBe('FORBIDDEN');
    const b = list.load();
    calls[1]!.reject(new TypeError('network down'));
    await b;
    expect(list.error.value?.code).toBe('UNKNOWN');
    expect(list.error.value?.message).toBe('项目列表加载失败');
    const c = list.load();
    calls[2]!.resolve({ items: rows(1), total: 1 });
    await c;
    expect(list.error.value).toBeNull();
  });

  it('changing the page size starts again at page 1; clear cancels and empties', async () => {
    const { calls, fetchPage } = controlledFetcher();
    const list = usePagedList(fetchPage, { errorMessage: '加载失败' });
    list.page.value = 4;
    list.onPageSizeChange(50);
    expect(calls[0]).toMatchObject({ page: 1, pageSize: 50 });
    list.clear();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(list.loading.value).toBe(false);
    expect(list.items.value).toEqual([]);
    expect(list.total.value).toBe(0);
  });
});
