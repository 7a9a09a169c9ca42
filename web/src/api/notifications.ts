import { request } from './request';
import type { RequestSignal } from './reference';

/** 站内通知（/api/notifications）：本人的通知，新的在前 */

export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string;
  /** 站内链接，如 /tasks/12 */
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPage {
  items: Notification[];
  total: number;
  unread: number;
  page: number;
  pageSize: number;
}

export function listNotifications(query: { unread?: 'true' | 'false'; page?: number; pageSize?: number } = {}, options: RequestSignal = {}): Promise<NotificationPage> {
  return request<NotificationPage>('/api/notifications', { query, signal: options.signal, timeoutMs: 15_000 });
}

/** 标为已读：指定的几条，或全部 */
export function markNotificationsRead(which: number[] | 'all'): Promise<void> {
  return request<void>('/api/notifications/read', { method: 'POST', body: which === 'all' ? { all: true } : { ids: which }, timeoutMs: 15_000 });
}
