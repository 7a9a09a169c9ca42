import { z } from 'zod';
import { bankOf, escalate, orderById, recordQuery } from '../server/treasury/orders';
import type { QueryAnswer } from '../server/treasury/bank';
import { complete, defineWorker } from './types';

/**
 * 查询银行 (treasury-payment, topic treasury.query): no arrival notice came within the configured
 * time, so the bank is asked. A final answer (paid, failed, refunded) settles the order like a
 * notice would; anything else escalates it to 国库处 (status 待核实, the division notified).
 * Input: orderId. Output: bankResult (paid | failed | refunded | pending).
 */
export const treasuryQuery = defineWorker({
  topic: 'treasury.query',
  description: '国库支付：到账通知超时后查询银行，仍无结果则转国库处核实',
  input: z.object({ orderId: z.coerce.number().int().positive() }),
  lockMs: 30_000,
  retries: 3,
  retryBackoffMs: 2000,
  async prepare({ orderId }, { db, config }) {
    const order = await orderById(db, orderId);
    if (!order) throw new Error(`payment order ${orderId} not found`);
    return bankOf({ config }).query(order.order_no);
  },
  async handle({ orderId }, { trx, prepared }) {
    const result = await recordQuery(trx, orderId, prepared as QueryAnswer, '流程引擎（到账通知超时查询）');
    if (result === 'pending') await escalate(trx, orderId);
    return complete({ bankResult: result });
  },
});
