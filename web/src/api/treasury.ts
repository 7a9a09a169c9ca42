import type { z } from 'zod';
import { request } from './request';
import type {
  BankQueried,
  OrderDetail,
  OrderEvent,
  OrderPage,
  OrderStatus,
  OrderStatusAnswer,
  PaymentOrder,
  listQuery,
  resolveBody,
} from '../../../contracts/treasury';

export type { OrderDetail, OrderEvent, OrderPage, OrderStatus, PaymentOrder };

/**
 * 国库支付接口（server/api/treasury.ts）。金额一律为整数“分”；收款账号只以脱敏形式出现。
 * 应答的类型来自 contracts/treasury.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

/** 请求体的类型来自路由解析用的同一份 schema（contracts/treasury.ts，z.input：客户端发送的一侧）。 */
export type OrderResolution = z.input<typeof resolveBody>;
/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type OrderListQuery = Partial<z.output<typeof listQuery>>;

/** GET /api/treasury/orders */
export const listOrders = (query: OrderListQuery) => request<OrderPage>('/api/treasury/orders', { query });
/** GET /api/treasury/orders/:id */
export const getOrder = (id: number) => request<OrderDetail>(`/api/treasury/orders/${id}`);
/** POST /api/treasury/orders/:id/query：查询银行 */
export const queryBank = (id: number) => request<BankQueried>(`/api/treasury/orders/${id}/query`, { method: 'POST', timeoutMs: 30_000 });
/** POST /api/treasury/orders/:id/retry：重新发送 */
export const retrySend = (id: number) => request<OrderStatusAnswer>(`/api/treasury/orders/${id}/retry`, { method: 'POST' });
/** POST /api/treasury/orders/:id/resolve：核实处理（签章） */
export const resolveOrder = (id: number, body: OrderResolution) =>
  request<OrderStatusAnswer>(`/api/treasury/orders/${id}/resolve`, { method: 'POST', body });
