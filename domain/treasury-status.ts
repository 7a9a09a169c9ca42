/**
 * The statuses of a payment order (支付凭证) and of what the bank says about it, with their labels:
 * the lists alone, without the bank signatures of treasury.ts (which need Node's crypto), so that
 * contracts/ and the SPA can read them. treasury.ts re-exports them; the rules are there.
 */

export const ORDER_STATUSES = ['created', 'sending', 'send_failed', 'sent', 'escalated', 'paid', 'failed', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_STATUS_LABELS: Record<OrderStatus, string> = {
  created: '待发送',
  sending: '发送中',
  send_failed: '发送失败',
  sent: '已发送，待到账',
  escalated: '待国库处核实',
  paid: '已到账',
  failed: '支付失败',
  refunded: '已退票',
};

/** What the bank can say about an order (its answer to 查询, or the kind of a notice). */
export const BANK_STATUSES = ['pending', 'paid', 'failed', 'refunded', 'unknown'] as const;
export type BankStatus = (typeof BANK_STATUSES)[number];

export const BANK_STATUS_LABELS: Record<BankStatus, string> = {
  pending: '银行处理中',
  paid: '已到账',
  failed: '银行拒绝',
  refunded: '退票',
  unknown: '银行无此凭证',
};
