import type { z } from 'zod';
import { request } from './request';
import type { RequestSignal } from './reference';
import type { Notification, NotificationPage, notificationsQuery, readBody } from '../../../contracts/tasks';

/** 站内通知（/api/notifications）：本人的通知，新的在前 */

/** 应答的类型来自 contracts/tasks.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { Notification, NotificationPage };

export function listNotifications(
  query: Partial<z.output<typeof notificationsQuery>> = {},
  options: RequestSignal = {},
): Promise<NotificationPage> {
  return request<NotificationPage>('/api/notifications', { query, signal: options.signal, timeoutMs: 15_000 });
}

/** 标为已读：指定的几条，或全部 */
export function markNotificationsRead(which: number[] | 'all'): Promise<void> {
  return request<void>('/api/notifications/read', {
    method: 'POST',
    body: (which === 'all' ? { all: true } : { ids: which }) satisfies z.input<typeof readBody>,
    timeoutMs: 15_000,
  });
}
