import { request } from './request';

/** 国库支付接口（server/api/treasury.ts）。金额一律为整数“分”；收款账号只以脱敏形式出现。 */

export type OrderStatus = 'created' | 'sending' | 'send_failed' | 'sent' | 'escalated' | 'paid' | 'failed' | 'refunded';

export interface PaymentOrder {
  id: number;
  orderNo: string;
  source: { kind: string; id: number };
  quotaId: number;
  quotaNo: string;
  unitOrgId: number;
  unitName: string;
  amountFen: number;
  payeeName: string;
  payeeAccountMasked: string;
  payeeBank: string;
  purpose: string;
  paymentType: 'direct' | 'authorized';
  economicCode: string;
  status: OrderStatus;
  statusLabel: string;
  bankStatus: string | null;
  bankStatusLabel: string | null;
  bankRef: string | null;
  failureReason: string | null;
  sendAttempts: number;
  createdAt: string;
  sentAt: string | null;
  settledAt: string | null;
  escalatedAt: string | null;
  /** 服务端按状态给出（domain/treasury.ts orderFlags） */
  can: { canQuery: boolean; canRetry: boolean; canResolve: boolean };
}

export interface OrderEvent {
  id: number;
  kind: string;
  label: string;
  bankStatus: string | null;
  bankStatusLabel: string | null;
  actor: string;
  detail: Record<string, unknown> | null;
  at: string;
}

export interface OrderPage {
  items: PaymentOrder[];
  total: number;
  escalated: number;
  page: number;
  pageSize: number;
}

/** GET /api/treasury/orders */
export const listOrders = (query: { status?: OrderStatus; orderNo?: string; payeeAccount?: string; page: number; pageSize: number }) => request<OrderPage>('/api/treasury/orders', { query });
/** GET /api/treasury/orders/:id */
export const getOrder = (id: number) => request<PaymentOrder & { events: OrderEvent[] }>(`/api/treasury/orders/${id}`);
/** POST /api/treasury/orders/:id/query：查询银行 */
export const queryBank = (id: number) => request<{ bankStatus: string; bankStatusLabel: string; delivered: boolean }>(`/api/treasury/orders/${id}/query`, { method: 'POST', timeoutMs: 30_000 });
/** POST /api/treasury/orders/:id/retry：重新发送 */
export const retrySend = (id: number) => request<{ status: OrderStatus }>(`/api/treasury/orders/${id}/retry`, { method: 'POST' });
/** POST /api/treasury/orders/:id/resolve：核实处理（签章） */
export const resolveOrder = (id: number, body: { decision: 'paid' | 'failed' | 'wait'; comment?: string; signingPin?: string }) => request<{ status: OrderStatus }>(`/api/treasury/orders/${id}/resolve`, { method: 'POST', body });
